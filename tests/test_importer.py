"""Reading plans people wrote: the seeds, messy variants of them, and the legacy TCVN3 encoding."""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from domain.model.importer import Table, figures, read_plan, sentences, split_bodies
from domain.model.legacy_text import looks_tcvn3, tcvn3_to_unicode

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
GOLD = SHARED / "import-gold"
needs_seeds = pytest.mark.skipif(not SEEDS, reason=f"the shared seeds are absent: {SHARED / 'seeds'}")


def seed(prefix: str) -> str:
    return next(p for p in SEEDS if p.name.startswith(prefix)).read_text(encoding="utf-8")


def summary(text: str) -> dict:
    return read_plan([text]).summary()


@needs_seeds
def test_the_three_seeds_score_full_marks_against_the_careful_reading(tmp_path):
    for path in SEEDS:
        out = tmp_path / f"{path.stem}.json"
        out.write_text(json.dumps(summary(path.read_text(encoding="utf-8")), ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, str(SHARED / "tools" / "score_import.py"), str(GOLD), str(tmp_path)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "import score: 1.000", result.stdout


@needs_seeds
def test_the_import_shape_has_exactly_the_documented_keys_in_order():
    assert list(summary(seed("000"))) == ["regime", "doc_type", "issuer", "number", "symbol", "place", "date",
                                         "title", "implements", "sections", "targets", "tasks", "recipients",
                                         "signer", "forms"]


@needs_seeds
def test_a_party_number_and_a_state_number_split_into_number_and_symbol():
    assert (summary(seed("000"))["number"], summary(seed("000"))["symbol"]) == ("48", "KH/ĐU")
    state = summary(seed("002"))
    assert (state["number"], state["symbol"], state["place"], state["date"]) == ("10", "KH-UBND", "Lãm Hà",
                                                                                  "2024-02-27")


def test_a_blank_number_keeps_the_symbol_and_a_blank_day_gives_no_date():
    got = summary("UBND PHƯỜNG X\nSố:     /KH-UBND\nX, ngày    tháng 3 năm 2026\n\nKẾ HOẠCH\nabc\n\nI. Mục đích\n")
    assert (got["number"], got["symbol"], got["date"], got["place"]) == (None, "KH-UBND", None, "X")


def test_a_full_state_header_gives_issuer_regime_and_ignores_the_national_heading():
    text = ("ỦY BAN NHÂN DÂN QUẬN KIẾN AN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "ỦY BAN NHÂN DÂN PHƯỜNG LÃM HÀ\tĐộc lập - Tự do - Hạnh phúc\n"
            "Số: 05/KH-UBND\tLãm Hà, ngày 05 tháng 3\nnăm 2026\n\nKẾ HOẠCH\nCông tác dân vận năm 2026\n\n"
            "I. MỤC ĐÍCH\n- Nâng cao.\n")
    got = summary(text)
    assert got["issuer"] == "ỦY BAN NHÂN DÂN QUẬN KIẾN AN ỦY BAN NHÂN DÂN PHƯỜNG LÃM HÀ"
    assert (got["regime"], got["number"], got["date"], got["title"]) == ("state", "05", "2026-03-05",
                                                                          "Công tác dân vận năm 2026")


def test_interleaved_party_header_lines_are_told_apart():
    text = ("ĐẢNG BỘ THỊ XÃ KINH MÔN\nĐẢNG CỘNG SẢN VIỆT NAM\nĐẢNG ỦY PHƯỜNG AN LƯU\n*\n"
            "Số 48-KH/ĐU\nAn Lưu, ngày 10 tháng 01 năm 2023\n\nKẾ HOẠCH\nthực hiện Đề án\n\nI- Mục đích, yêu cầu\n")
    got = summary(text)
    assert got["issuer"] == "ĐẢNG BỘ THỊ XÃ KINH MÔN ĐẢNG ỦY PHƯỜNG AN LƯU"
    assert (got["regime"], got["place"], got["date"], got["sections"]) == (
        "party", "An Lưu", "2023-01-10", ["I. Mục đích, yêu cầu"])


def test_page_site_text_before_the_document_is_kept_as_loose_text_not_as_issuer():
    text = ("Trang chủ > Văn bản chỉ đạo\nNgày đăng: 03/03/2024 | Lượt xem: 120\nNgười ký: Nguyễn Thị Tâm\n\n"
            "Số: 10/KH-UBND\n\nKẾ HOẠCH\nCông tác năm 2024\n\nI. MỤC ĐÍCH\n- Một.\n")
    plan = read_plan([text])
    assert plan.issuer is None
    assert "Trang chủ > Văn bản chỉ đạo" in plan.loose
    assert plan.summary()["signer"] == {"authority": None, "title": None, "name": "Nguyễn Thị Tâm"}


def test_figures_are_read_as_vietnamese_write_them():
    def one(sentence):
        return [(v, u) for _, v, u in figures(sentence)]

    assert one("Tỷ lệ lao động qua đào tạo 55%.") == [(55, "%")]
    assert one("Tỷ lệ hộ nghèo giảm 0,5%/năm.") == [(0.5, "%")]
    assert one("Xây dựng ít nhất 01 mô hình “Dân vận khéo”.") == [(1, "mô hình")]
    assert one("Diện tích cây xanh đạt từ 3 đến 4m²") == [(None, "m²")]
    assert one("Tỷ lệ đạt từ 25 đến 30%.") == [(None, "%")]
    assert one("Đạt 55 % kế hoạch.") == [(55, "%")]


def test_dates_periods_names_and_baselines_are_not_targets():
    for sentence in ("Chỉ đạo nhân rộng mô hình trước 30/02/2023.",
                     "Tổ chức sơ kết 3 tháng, 6 tháng, 9 tháng, 01 năm.",
                     "Tổ chức kỷ niệm 40 năm Ngày thành lập.",
                     "Khu dân cư đạt tiêu chuẩn “Khu dân cư 6 không”.",
                     "Cung cấp trực tuyến mức độ 3 và 4.",
                     "Cấp giấy chứng nhận ở các quận, huyện (tổng số 239 cơ sở)."):
        assert figures(sentence) == [], sentence


def test_one_sentence_with_two_figures_gives_two_targets_with_the_same_text():
    plan = read_plan(["KẾ HOẠCH\nx\n\nI. NỘI DUNG\n\n1.3. Lập hồ sơ cho tối thiểu 40% cơ sở; cấp giấy cho tối thiểu "
                      "10% cơ sở.\n"])
    assert [(t.value, t.text) for t in plan.targets] == [(40, plan.targets[0].text), (10, plan.targets[0].text)]


def test_sentences_split_at_full_stops_but_not_inside_figures_or_abbreviations():
    assert sentences("Hằng năm đưa vào chương trình. Xây dựng 01 mô hình.") == [
        "Hằng năm đưa vào chương trình.", "Xây dựng 01 mô hình."]
    assert len(sentences("Giảm 0,5%/năm. Tăng 1.5 lần ở TP. Hải Phòng.")) == 2


def test_body_lists_split_at_commas_and_semicolons_but_not_at_and_or_hyphens():
    assert split_bodies("Hội đồng nhân dân, Ủy ban nhân dân phường; Mặt trận và các tổ chức chính trị - xã hội "
                        "phường, các chi bộ trực thuộc.") == [
        "Hội đồng nhân dân", "Ủy ban nhân dân phường", "Mặt trận và các tổ chức chính trị - xã hội phường",
        "các chi bộ trực thuộc"]


def test_a_labelled_block_belongs_to_the_numbered_item_directly_above_it():
    text = ("KẾ HOẠCH\nx\n\nII. NỘI DUNG\n\n2.2. Chỉ tiêu\n\n(1) Đạt 95%.\n\n(2) Đạt 97%.\n\n"
            "- *Cơ quan lãnh đạo*: Đảng ủy\n\n- *Cơ quan tham mưu, thực hiện:* UBND phường.\n"
            "- Thời gian hoàn thành: trong quý I/2023.\n")
    (task,) = read_plan([text]).tasks
    assert (task.ref, task.lead, task.advisory, task.executing, task.timeframe) == (
        "2.2.(2)", ["Đảng ủy"], ["UBND phường"], ["UBND phường"], "trong quý I/2023")
    assert task.targets == ["CT2"]


def test_the_same_decimal_task_under_two_roman_sections_gets_the_roman_prefix():
    block = "- Cơ quan lãnh đạo: Đảng ủy\n- Cơ quan thực hiện: UBND.\n"
    text = f"KẾ HOẠCH\nx\n\nII. A\n\n2.2. Một\n{block}\nIII. B\n\n2.2. Hai\n{block}"
    assert [t["ref"] for t in summary(text)["tasks"]] == ["II.2.2.", "III.2.2."]


def test_hard_wraps_and_page_breaks_inside_a_sentence_are_joined():
    text = "KẾ HOẠCH\nx\n\nI. NỘI DUNG\n\n(1) Hằng năm đưa nội dung vào\n\nchương trình công tác. Đạt 55%.\n"
    (target,) = read_plan([text]).targets
    assert target.text == "Đạt 55%."
    assert read_plan([text]).sections[0].subsections[0].title == (
        "Hằng năm đưa nội dung vào chương trình công tác. Đạt 55%.")


def test_decomposed_unicode_and_the_eth_for_d_are_normalised():
    text = unicodedata.normalize("NFD", "Số 12-KH/ĐU\n\nKẾ HOẠCH\nCông tác dân vận\n\nI. MỤC ĐÍCH\n").replace("Đ", "Ð")
    got = summary(text)
    assert (got["symbol"], got["doc_type"], got["sections"]) == ("KH/ĐU", "KẾ HOẠCH", ["I. MỤC ĐÍCH"])


def test_recipients_lose_their_dash_and_end_punctuation_only():
    text = ("KẾ HOẠCH\nx\n\nI. A\n- b.\n\nNơi nhận:\n- UBND quận;\n- Chủ tịch, các PCT UBND phường;\n"
            "- Lưu: VT, VPTK.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\nNguyễn Văn A\n")
    got = summary(text)
    assert got["recipients"] == ["UBND quận", "Chủ tịch, các PCT UBND phường", "Lưu: VT, VPTK"]
    assert got["signer"] == {"authority": "TM.", "title": "CHỦ TỊCH", "name": "Nguyễn Văn A"}
    assert got["regime"] == "state"


def test_an_annexed_table_becomes_a_form_with_its_title_and_header_cells():
    items = ["KẾ HOẠCH\nx\n\nI. A\n- b./.\n\nNơi nhận:\n- Lưu.\n\nBÍ THƯ\n\nNguyễn Văn A\n\nBiểu mẫu số 01\n"
             "KẾT QUẢ THỰC HIỆN CHỈ TIÊU",
             Table((("STT", "Chỉ tiêu", "Kết quả", "Kết quả"), ("", "", "Quý I", "Quý II"), ("1", "a", "", "")))]
    (form,) = summary_forms = read_plan(items).summary()["forms"]
    assert form == {"title": "Biểu mẫu số 01 KẾT QUẢ THỰC HIỆN CHỈ TIÊU",
                    "columns": ["STT", "Chỉ tiêu", "Kết quả", "Quý I", "Quý II"]}
    assert summary_forms


def test_a_markdown_table_in_a_text_export_is_a_form():
    text = ("KẾ HOẠCH\nx\n\nI. A\n- b./.\n\nBÍ THƯ\n\nNguyễn Văn A\n\nPhụ lục\n\n| STT | Nội dung |\n|---|---|\n"
            "| 1 | a |\n")
    assert read_plan([text]).summary()["forms"] == [{"title": "Phụ lục", "columns": ["STT", "Nội dung"]}]


def test_tcvn3_text_is_recognised_and_converted_with_capitals_kept():
    legacy = "KÕ HO¹CH\nC«ng t¸c d©n vËn n¨m 2026\n§¶ng ñy ph­êng"
    assert looks_tcvn3(legacy)
    assert tcvn3_to_unicode(legacy) == "KẾ HOẠCH\nCông tác dân vận năm 2026\nĐảng ủy phường"
    assert not looks_tcvn3("Công tác dân vận năm 2026 của Đảng ủy phường")


def _straight_quotes(t: str) -> str:
    return t.replace("“", '"').replace("”", '"')


def _decomposed_with_eth(t: str) -> str:
    return unicodedata.normalize("NFD", t).replace("Đ", "Ð")


def _page_site_before(t: str) -> str:
    return ("Cổng thông tin điện tử phường\nTrang chủ > Văn bản > Kế hoạch\nNgày đăng: 01/03/2024 | Lượt xem: 57\n\n"
            + t + "\n\nBản quyền thuộc Cổng thông tin điện tử phường.\n")


def _windows_lines(t: str) -> str:
    return "\r\n".join(line + "  " for line in t.split("\n"))


def _wrapped_headings(t: str) -> str:
    import re

    return re.sub(r"(?m)^(\**(?:III|IV)[.\-] ?[^\n]{6,}?) (\S+\**)$", r"\1\n\2", t)


MESSY = [_straight_quotes, _decomposed_with_eth, _page_site_before, _windows_lines, _wrapped_headings]


@needs_seeds
@pytest.mark.parametrize("mess", MESSY, ids=lambda f: f.__name__.strip("_"))
def test_messy_variants_of_the_seeds_read_the_same(mess, tmp_path):
    for path in SEEDS:
        text = mess(path.read_text(encoding="utf-8"))
        (tmp_path / f"{path.stem}.json").write_text(json.dumps(summary(text), ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, str(SHARED / "tools" / "score_import.py"), str(GOLD), str(tmp_path)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "import score: 1.000", result.stdout


@needs_seeds
def test_page_site_text_around_a_seed_is_kept_as_loose_text():
    plan = read_plan([_page_site_before(seed("002"))])
    assert "Trang chủ > Văn bản > Kế hoạch" in plan.loose
    assert "Bản quyền thuộc Cổng thông tin điện tử phường." in plan.loose


def test_a_title_that_begins_with_thuc_hien_is_kept_and_law_numbers_keep_their_digits():
    got = summary("KẾ HOẠCH\nThực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị\n\nCăn cứ Luật số 10/2022/QH15 ngày "
                  "10/11/2022 về thực hiện dân chủ ở cơ sở;\n\nI. MỤC ĐÍCH\n")
    assert got["title"] == "Thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị"
    assert got["implements"] == ["10/2022/QH15"]


def test_a_signer_name_typed_in_capitals_is_the_name_not_the_title():
    got = summary("KẾ HOẠCH\nx\n\nI. A\n- b./.\n\nT/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ\n\n\nNGUYỄN VĂN AN\n")
    assert got["signer"] == {"authority": "T/M", "title": "PHÓ BÍ THƯ", "name": "NGUYỄN VĂN AN"}
    assert got["regime"] == "party"


def test_a_table_inside_the_text_is_kept_as_a_form_not_dropped():
    items = ["KẾ HOẠCH\nx\n\nI. CHỈ TIÊU\n\nCác chỉ tiêu chủ yếu như sau:\n",
             Table((("STT", "Chỉ tiêu", "Năm 2026"), ("1", "Tỷ lệ hộ nghèo", "2%"))),
             "\nII. TỔ CHỨC THỰC HIỆN\n- Các đơn vị thực hiện./.\n"]
    plan = read_plan(items)
    assert [f.title for f in plan.forms] == ["Các chỉ tiêu chủ yếu như sau:"]
    assert plan.forms[0].rows[1] == ("1", "Tỷ lệ hộ nghèo", "2%")


# --- the direction and the baseline of a target, as the text states them -----------------------------

@pytest.mark.parametrize("sentence, value, unit, direction, baseline", [
    ("Tỷ lệ hộ nghèo toàn phường giảm 0,5%/năm.", 0.5, "%", "reduce_by", None),
    ("Phấn đấu giảm tỷ lệ hộ nghèo bình quân 0,5%/năm.", 0.5, "%", "reduce_by", None),
    ("Không quá 3 vụ khiếu kiện đông người trên địa bàn.", 3, "vụ", "at_most", None),
    ("Số vụ khiếu kiện giảm, không quá 3 vụ.", 3, "vụ", "at_most", None),
    ("Tỷ lệ hộ nghèo dưới 5%.", 5, "%", "at_most", None),
    ("Tỷ lệ hồ sơ trễ hạn từ 2% trở xuống.", 2, "%", "at_most", None),
    ("Tỷ lệ hộ nghèo giảm xuống còn 1,6%.", 1.6, "%", "at_most", None),
    ("Tỷ lệ lao động qua đào tạo đạt trên 70%.", 70, "%", "at_least", None),
    ("Xây dựng ít nhất 01 mô hình “Dân vận khéo”.", 1, "mô hình", "at_least", None),
    ("Mức độ hài lòng đạt 95% trở lên.", 95, "%", "at_least", None),
    ("Tỷ lệ lao động qua đào tạo 55%.", 55, "%", "at_least", None),
    ("Giảm tỷ lệ hộ nghèo từ 2,1% xuống còn 1,6%.", 1.6, "%", "reduce_by", 2.1),
    ("Chương trình giảm nghèo bền vững hoàn thành 100% kế hoạch.", 100, "%", "at_least", None),
    ("Số hộ thoát nghèo nhờ các dự án giảm thiểu rủi ro đạt 90%.", 90, "%", "at_least", None),
])
def test_a_targets_direction_and_baseline_are_read_from_the_words_around_its_figure(sentence, value, unit,
                                                                                    direction, baseline):
    (target,) = summary(f"KẾ HOẠCH\nabc\n\nI. Chỉ tiêu\n1. {sentence}\n")["targets"]
    assert (target["value"], target["unit"], target["direction"], target["baseline"]) == (value, unit, direction,
                                                                                           baseline)


def test_a_reduction_from_one_figure_to_another_is_one_target_by_their_difference_from_the_first():
    from domain.model.importer import plan_source

    imported = read_plan(["KẾ HOẠCH\nabc\n\nI. Chỉ tiêu\n1. Giảm tỷ lệ hộ nghèo từ 2,1% xuống còn 1,6%.\n"
                          "2. Tỷ lệ hộ nghèo giảm 0,5%/năm.\n3. Không quá 3 vụ khiếu kiện đông người.\n"])
    targets = plan_source(imported, issuer="UBND-HB", signer="u", body_ids={})["targets"]
    assert [(t["value"], t["direction"], t.get("baseline")) for t in targets] == [
        (0.5, "reduce_by", 2.1),  # 2,1 − 1,6: the plan's reduction, judged against the baseline
        (0.5, "reduce_by", None),  # the text gives no baseline: left to fill
        (3, "at_most", None)]
