"""Every user-facing sentence of kehoach outside templates/, in Vietnamese (NFC).

Errors are raised as `DomainError(code, **params)`; the CLI prints `str(error)`.
Each message says what is wrong and what to do.
"""
from __future__ import annotations

import unicodedata

MESSAGES: dict[str, str] = {
    # input files
    "yaml_syntax": "Tệp {file} sai cú pháp YAML ở dòng {line}: {problem}. Hãy sửa dòng đó rồi chạy lại.",
    "yaml_not_mapping": "Tệp {file} phải là một bảng khóa: giá trị (mapping) ở mức ngoài cùng.",
    "file_missing": "Không tìm thấy tệp {file}. Hãy kiểm tra lại đường dẫn.",
    "field_missing": "Thiếu trường bắt buộc «{field}»{where}. Hãy bổ sung rồi chạy lại.",
    "field_type": "Trường «{field}»{where} phải là {expected}.",
    "field_value": "Giá trị «{value}» của trường «{field}»{where} không hợp lệ: {hint}.",
    "list_item_not_text": (
        "Mục thứ {index} của «{field}»{where} không phải là chuỗi chữ (thường do dấu «:» ở cuối dòng). "
        "Hãy đặt cả dòng trong dấu ngoặc kép."
    ),
    "duplicate_id": "Mã «{id}» bị trùng{where}. Mỗi {what} phải có một mã riêng.",
    "unknown_ref": "«{ref}»{where} không phải là {what} đã khai báo. Hãy khai báo trước hoặc sửa lại mã.",
    "at_line": " (dòng {line})",
    # the holiday file (KEHOACH_HOLIDAYS_FILE)
    "holidays_file_missing": (
        "Không tìm thấy tệp ngày nghỉ {file} (KEHOACH_HOLIDAYS_FILE). Hãy sửa đường dẫn hoặc bỏ thiết lập đó."
    ),
    "holidays_file_encoding": "Tệp ngày nghỉ {file} không phải văn bản Unicode (UTF-8). Hãy lưu lại với bảng mã UTF-8.",
    "holidays_line": (
        "Tệp ngày nghỉ {file}, dòng {line} («{text}»): {problem}. Mỗi dòng ghi một ngày, ví dụ "
        "«2027-02-05 nghỉ Tết Nguyên đán» hoặc «2026-08-22 làm bù Làm bù cho thứ Hai 31/8»."
    ),
    # importing drafts
    "unknown_encoding": (
        "Không đọc được bảng mã của tệp: không phải Unicode (UTF-8, UTF-16), TCVN3 hay Windows-1258. "
        "Hãy mở tệp trong Word và lưu lại dưới dạng .docx hoặc văn bản Unicode (UTF-8)."
    ),
    "mixed_encoding": (
        "Tệp có {share} số từ gõ bằng bảng mã TCVN3 (.VnTime) lẫn với chữ Unicode, nên không chuyển đổi được "
        "chính xác. Hãy chuyển toàn bộ văn bản sang Unicode (ví dụ bằng Unikey, chức năng chuyển mã) rồi nhập lại."
    ),
    "import_format": "Chỉ nhập được tệp .docx hoặc .txt; tệp {file} có đuôi «{suffix}». Hãy lưu lại từ Word dưới dạng .docx.",
    "import_unreadable": "Không mở được tệp Word {file}: {problem}. Hãy mở tệp bằng Word, lưu lại dưới dạng .docx rồi nhập lại.",
    "import_empty": "Tệp {file} không có nội dung để nhập.",
    "import_no_sections": (
        "Không tìm thấy phần nào đánh số La Mã (I., II., ...) trong tệp {file}, nên chưa tạo được dự thảo. "
        "Hãy đánh số các phần của kế hoạch (I. Mục đích, yêu cầu; II. Nội dung; ...) rồi nhập lại."
    ),
    "not_a_plan_document": "Văn bản #{document} không phải là một kế hoạch đã ban hành.",
    "import_needs_actor": "Để lưu dự thảo cần biết người soạn: thêm --as TÊN_ĐĂNG_NHẬP (hoặc --json để chỉ xem).",
    "import_converted_tcvn3": "Văn bản gõ bằng bảng mã TCVN3 (.VnTime) đã được chuyển sang Unicode; hãy soát lại chữ.",
    "import_loose": "{count} đoạn không xếp được vào kế hoạch, được giữ nguyên dưới dạng văn bản tự do:",
    "import_regime_mismatch": (
        "Văn bản nhập vào là {found}, nhưng {body} ban hành theo thể thức {expected}. "
        "Hãy chọn đúng cơ quan ban hành bằng --issuer."
    ),
    "import_needs_issuer": (
        "Chưa xác định được cơ quan ban hành{found}. Hãy chỉ rõ bằng --issuer MÃ_CƠ_QUAN (một trong: {bodies})."
    ),
    "import_needs_signer": (
        "Chưa xác định được người ký{found}. Hãy chỉ rõ bằng --signer TÊN_ĐĂNG_NHẬP (người có vai trò ký ban hành "
        "của {body}: {users})."
    ),
    # organisation
    "unknown_body": "Không có cơ quan, đơn vị mã «{body}». Hãy nạp tổ chức (kehoach org load) hoặc sửa lại mã.",
    "unknown_user": "Không có người dùng «{user}». Hãy kiểm tra tên đăng nhập trong tệp tổ chức.",
    "unknown_role": "Vai trò «{role}» không có trong hệ thống; các vai trò hợp lệ: {roles}.",
    "parent_cycle": "Cơ quan «{body}» không thể trực thuộc chính nó (vòng lặp cấp trên).",
    "bad_email": "Địa chỉ thư «{email}» của {owner} không hợp lệ.",
    # plans and workflow
    "unknown_plan": "Không có kế hoạch «{plan}». Dùng «kehoach plan list» để xem các kế hoạch.",
    "action_not_allowed": (
        "Không thể «{action}» {what} khi đang ở trạng thái «{state}». "
        "Các thao tác được phép lúc này: {allowed}."
    ),
    "role_required": (
        "Người dùng «{user}» không có vai trò {roles} tại {body}, nên không được «{action}». "
        "Hãy thực hiện bằng tài khoản có vai trò đó."
    ),
    "reason_required": "Phải ghi rõ lý do khi «{action}» (tùy chọn --reason).",
    "not_designated_signer": (
        "{What} do «{signer}» ký; người dùng «{user}» không phải người ký đã ghi trong kế hoạch."
    ),
    "already_issued": "Kế hoạch #{plan} đã ban hành với số {number} ngày {date}; không thể ban hành lần nữa.",
    "plan_frozen": "Kế hoạch #{plan} đang ở trạng thái «{state}» nên không được sửa nội dung.",
    "issuer_mismatch": "Tệp kế hoạch ghi cơ quan ban hành «{new}», khác kế hoạch #{plan} («{old}»).",
    "signer_no_role": "Người ký «{user}» chưa có vai trò «ký» tại {body}. Hãy bổ sung vai trò trong tệp tổ chức.",
    # plans implementing a higher body's plan
    "implements_unknown_id": (
        "«implements: {cited}»: không có kế hoạch #{plan}. Hãy ghi đúng số của kế hoạch cấp trên "
        "(kehoach plan list) hoặc số, ký hiệu và ngày của nó, ví dụ «Số 41/KH-UBND ngày 20/01/2026»."
    ),
    "implements_ambiguous": (
        "«implements: {cited}» khớp với nhiều kế hoạch: {plans}. Hãy ghi thêm ngày ban hành và cơ quan ban hành "
        "(«… ngày 20/01/2026 của Ủy ban nhân dân quận Kiến An») hoặc ghi số kế hoạch, ví dụ «#3»."
    ),
    "implements_not_found": (
        "Chưa tìm thấy kế hoạch «{cited}» trong hệ thống: kế hoạch được giữ như văn bản trích dẫn, chưa liên kết "
        "với kế hoạch cấp trên; sẽ tự liên kết khi kế hoạch đó được ký ban hành trong hệ thống. Nếu kế hoạch cấp "
        "trên đã có trong hệ thống, hãy ghi đúng số, ký hiệu và ngày của nó (kehoach plan list) rồi cập nhật dự thảo."
    ),
    "implements_itself": "«implements: {cited}» là chính kế hoạch này; một kế hoạch không thể thực hiện chính nó.",
    "implements_bad_date": (
        "Ngày trong «implements: {cited}» không có thật. Hãy ghi ngày ban hành của kế hoạch cấp trên dạng "
        "ngày/tháng/năm, ví dụ «Số 41/KH-UBND ngày 20/01/2026»."
    ),
    "links_title": "Kế hoạch #{plan}: {title}",
    "links_implements": "Thực hiện:",
    "links_higher": "  - kế hoạch #{plan} {reference} của {issuer}: {title} (đã liên kết)",
    "links_pending": (
        "  - «{cited}»: chưa có trong hệ thống; sẽ tự liên kết khi kế hoạch cấp trên này được ban hành trong hệ thống"
    ),
    "links_other": "  - «{cited}» (văn bản trích dẫn, không phải kế hoạch)",
    "links_implemented_by": "Được thực hiện bởi:",
    "links_lower": "  - kế hoạch #{plan} của {issuer}: {title} ({reference})",
    "links_none": "  (không có)",
    # reporting
    "no_open_period": "Kế hoạch #{plan} chưa có kỳ báo cáo «{period}» đang mở. Hãy mở kỳ báo cáo trước.",
    "period_key_invalid": (
        "Mã kỳ «{key}» không hợp lệ. Hãy dùng NĂM-Q1..Q4 cho quý (2026-Q4), NĂM-6T cho 6 tháng đầu năm "
        "(2026-6T), NĂM-9T cho 9 tháng (2026-9T) hoặc NĂM-N cho cả năm (2026-N); kỳ đột xuất mở bằng --from, "
        "--to và --deadline."
    ),
    "unknown_head": (
        "Thủ trưởng «{user}» của cơ quan {body} (trường head) không phải là người dùng đã khai báo. "
        "Hãy khai báo người đó trong mục users hoặc sửa lại mã."
    ),
    "no_period": "Kế hoạch #{plan} chưa mở kỳ báo cáo «{period}». Các kỳ đã mở: {known}.",
    "period_key_and_dates": "Hãy chọn một: --period (kỳ định kỳ) hoặc --from, --to, --deadline (kỳ đột xuất), không dùng cả hai.",
    "period_ad_hoc_incomplete": (
        "Kỳ báo cáo đột xuất cần đủ ba ngày: --from (bắt đầu), --to (kết thúc) và --deadline (hạn gửi)."
    ),
    "day_invalid": "«{text}» không phải là ngày. Hãy ghi ngày dạng NGÀY/THÁNG/NĂM (ví dụ 15/03/2026) hoặc 2026-03-15.",
    "period_dates": "Kỳ báo cáo kết thúc ngày {end} trước ngày bắt đầu {start}. Hãy sửa --from hoặc --to.",
    "period_deadline": "Hạn gửi báo cáo {deadline} trước ngày kết thúc kỳ {end}. Hãy đặt --deadline từ ngày {end} trở đi.",
    "period_exists": "Kỳ báo cáo «{period}» của kế hoạch #{plan} đã được mở ngày {opened}.",
    "unit_not_in_plan": (
        "Đơn vị «{unit}» không được giao nhiệm vụ thực hiện nào trong kế hoạch #{plan}, "
        "nên không có báo cáo cho kế hoạch này."
    ),
    "target_not_for_unit": (
        "Chỉ tiêu «{target}» không thuộc nhiệm vụ giao cho đơn vị «{unit}». "
        "Các chỉ tiêu của đơn vị: {targets}."
    ),
    "baseline_required": (
        "Kế hoạch #{plan} chưa thể ký ban hành: {targets} là chỉ tiêu giảm (direction: reduce_by) nhưng chưa có mức "
        "đầu kỳ để tính mức đã giảm. Hãy thêm «baseline:» là số liệu lúc bắt đầu (ví dụ tỷ lệ hộ nghèo cuối năm "
        "trước, baseline: 2,1) vào từng chỉ tiêu đó (kehoach plan update {plan} TỆP.yaml), rồi trình duyệt lại."
    ),
    "baseline_to_fill": (
        "Chỉ tiêu {target} («{text}») là chỉ tiêu giảm nhưng văn bản không ghi mức đầu kỳ: hãy điền «baseline:» "
        "(ví dụ baseline: 2,1) trước khi ký ban hành; thiếu mức đầu kỳ thì kế hoạch không ban hành được."
    ),
    "baseline_not_reduce": (
        "Chỉ tiêu «{target}»{where} có mức đầu kỳ («baseline») nhưng không phải chỉ tiêu giảm (direction: "
        "{direction}). Mức đầu kỳ chỉ dùng cho chỉ tiêu giảm: bỏ «baseline» hoặc đặt direction: reduce_by."
    ),
    "baseline_not_number": (
        "Mức đầu kỳ «{value}» của chỉ tiêu «{target}»{where} không phải là số (ví dụ đúng: 2,1 hoặc 150)."
    ),
    "figure_not_number": "Số liệu «{value}» của chỉ tiêu «{target}» không phải là số (ví dụ đúng: 55 hoặc 0,5).",
    "review_exists": (
        "{kind} kỳ «{period}» của kế hoạch #{plan} đã có: báo cáo #{review} ({state}). {hint}"
    ),
    "review_exists_hint_draft": "Để tổng hợp lại theo số liệu mới nhất: kehoach review redraft {review} --as NGƯỜI_SOẠN.",
    "review_exists_hint_done": (
        "Báo cáo đã ban hành không sửa được; xem: kehoach review show {review}. Nếu báo cáo đó sai, thu hồi nó "
        "(kehoach document withdraw SỐ/BC-… --reason \"…\") rồi soạn báo cáo mới cho kỳ này."
    ),
    "unknown_review": "Không có báo cáo sơ kết, tổng kết «{review}». Dùng «kehoach review list PLAN» để xem các báo cáo.",
    "review_already_issued": (
        "Báo cáo #{review} đã ban hành với số {number} ngày {date}; không thể ban hành lần nữa."
    ),
    "no_reports": "Kỳ «{period}» của kế hoạch #{plan} chưa có báo cáo nào để tổng hợp.",
    # a unit's report read back from its filled form (biểu mẫu) or a structured file
    "form_table_name": "Bảng {number}",
    "form_row": "{table}, dòng {row}",
    "form_cell": "{table}, dòng {row}{what}, cột «{column}»",
    "file_figure": "Chỉ tiêu «{target}» (mục figures)",
    "file_tasks": "Mục tasks của tệp",
    "form_figure_not_number": (
        "{where}: «{value}» không phải là số. Hãy ghi một số{unit}, ví dụ 55 hoặc 0,5 (dấu phẩy thập phân, "
        "dấu chấm ngăn cách hàng nghìn như 1.200); lời giải thích ghi ở cột «Ghi chú»."
    ),
    "figure_percent_range": (
        "{where}: {value}% không hợp lý, vì tỷ lệ phần trăm phải từ 0 đến 100. Hãy ghi lại tỷ lệ, ví dụ 55 hoặc 55,5."
    ),
    "figure_negative_count": (
        "{where}: số {unit} không thể âm ({value}). Hãy ghi số {unit} đạt được trong kỳ (0 nếu chưa có)."
    ),
    "figure_ambiguous_grouping": (
        "{where}: «{value}» có thể hiểu hai cách: {whole} {unit} (dấu phẩy ngăn cách hàng nghìn, cách viết của "
        "nước ngoài) hoặc {decimal} (dấu phẩy thập phân, cách viết của Việt Nam), nên không được ghi nhận. "
        "Hãy ghi {whole} (hoặc {whole_dotted}) nếu là {whole} {unit}, hoặc ghi {decimal} nếu ý là {decimal}."
    ),
    "figure_comma_grouping": (
        "{where}: «{value}» dùng dấu phẩy để ngăn cách hàng nghìn (cách viết của nước ngoài). Hãy ghi {whole} "
        "hoặc {whole_dotted} (dấu chấm ngăn cách hàng nghìn, dấu phẩy là dấu thập phân)."
    ),
    "figure_spelling_comma_groups": (
        "    Lưu ý: đã ghi «{written}», được hiểu là {read} theo cách viết của Việt Nam (dấu phẩy thập phân). "
        "Nếu ý là {whole}, hãy sửa thành {whole} và gửi lại; bản gửi lại là phiên bản mới."
    ),
    "figure_spelling_dot_decimal": (
        "    Lưu ý: đã ghi «{written}» với dấu chấm, được hiểu là {read} (dấu chấm được coi là dấu thập phân vì "
        "không ngăn cách hàng nghìn). Nếu không đúng, hãy sửa và gửi lại; bản gửi lại là phiên bản mới."
    ),
    "figure_fractional_count": (
        "{where}: số {unit} phải là số nguyên, không thể là {value}. Hãy ghi số {unit} đạt được, ví dụ 1 hoặc 2."
    ),
    "form_figure_without_code": (
        "{where}: có số liệu «{value}» nhưng dòng này không có mã chỉ tiêu, nên không biết số liệu thuộc chỉ tiêu "
        "nào. Hãy ghi mã chỉ tiêu vào cột «Mã chỉ tiêu», hoặc chuyển nội dung sang cột «Ghi chú» nếu không thuộc "
        "chỉ tiêu nào."
    ),
    "form_target_not_for_unit": (
        "{where}: chỉ tiêu «{mark}» không được giao cho đơn vị «{unit}», nên đơn vị không báo cáo chỉ tiêu này "
        "(chỉ tiêu của đơn vị: {codes}). Hãy xóa dòng đó hoặc sửa lại mã cho đúng."
    ),
    "form_task_not_for_unit": (
        "{where}: nhiệm vụ «{mark}» không được giao cho đơn vị «{unit}», nên đơn vị không báo cáo nhiệm vụ này "
        "(nhiệm vụ của đơn vị: {codes}). Hãy xóa dòng đó hoặc sửa lại mã cho đúng."
    ),
    "form_code_twice": (
        "Mã «{mark}» được ghi ở hai dòng ({first} và {second}). Mỗi mã chỉ ghi một dòng: hãy gộp kết quả vào "
        "một dòng rồi gửi lại."
    ),
    "form_empty": "Báo cáo chưa có kết quả nào: các cột kết quả còn trống. Hãy điền số liệu, kết quả rồi gửi lại.",
    "report_file_format": (
        "Báo cáo nhận tệp biểu mẫu Word (.docx) đã điền hoặc tệp .yaml, .json; tệp {file} có đuôi «{suffix}». "
        "Hãy lưu biểu mẫu dưới dạng .docx (Word: Lưu thành, chọn «Word Document») rồi gửi lại."
    ),
    "report_file_unreadable": (
        "Không mở được tệp {file} ({problem}). Hãy mở tệp bằng Word, lưu lại dưới dạng .docx rồi gửi lại."
    ),
    "not_a_report_form": (
        "Tệp {file} không có bảng biểu mẫu báo cáo (bảng có cột «Mã chỉ tiêu» hoặc «Mã nhiệm vụ»). Hãy điền "
        "kết quả vào đúng tệp biểu mẫu nhận kèm công văn đề nghị báo cáo rồi gửi tệp đó."
    ),
    "form_unidentified": (
        "Biểu mẫu không còn dòng ghi mã đơn vị («… mã đơn vị: …, mã kỳ: …» dưới tên biểu mẫu), nên không biết là "
        "báo cáo của đơn vị nào. Hãy dùng đúng tệp biểu mẫu đã nhận, hoặc ghi rõ đơn vị bằng --unit MÃ_ĐƠN_VỊ."
    ),
    "wrong_form_plan": (
        "Biểu mẫu này thuộc {form_plan}, không phải kế hoạch #{plan} ({reference}). Hãy gửi biểu mẫu nhận kèm "
        "đề nghị báo cáo của kế hoạch #{plan}, hoặc gửi tệp này vào đúng kế hoạch của nó."
    ),
    "wrong_form_unit": (
        "Biểu mẫu này lập cho đơn vị «{form_unit}», không phải «{unit}». Hãy điền biểu mẫu gửi cho «{unit}», "
        "hoặc bỏ --unit nếu đây đúng là báo cáo của «{form_unit}»."
    ),
    "wrong_form_period": (
        "Biểu mẫu này là của kỳ «{form_period}», không phải kỳ «{period}». Hãy điền biểu mẫu nhận kèm đề nghị "
        "báo cáo kỳ «{period}», hoặc bỏ --period nếu đây đúng là báo cáo kỳ «{form_period}»."
    ),
    "report_not_entitled": (
        "Người dùng «{user}» không được gửi báo cáo của {unit} cho kế hoạch #{plan}: chỉ người có vai trò «báo cáo» "
        "của đơn vị đó gửi được, hoặc văn thư, người soạn thảo của {offices} ghi nhận thay khi đơn vị gửi biểu mẫu "
        "qua thư điện tử hay bản giấy. Hãy gửi bằng một tài khoản như vậy."
    ),
    "report_recorded_for": "  (Ghi nhận thay đơn vị: {by} nhập báo cáo của {unit} từ biểu mẫu đơn vị gửi; nhật ký ghi rõ.)",
    "report_sent_on_behalf": " (văn thư, người soạn thảo ghi nhận thay đơn vị)",
    "report_listed_on_behalf": " (ghi nhận thay)",
    "report_needs_unit": (
        "Chưa biết đây là báo cáo của đơn vị nào: hãy ghi --unit MÃ_ĐƠN_VỊ (hoặc trường «unit» trong tệp)."
    ),
    "unknown_period": (
        "Kế hoạch #{plan} không có kỳ báo cáo «{period}» (các kỳ đã mở: {periods}). Hãy kiểm tra lại mã kỳ."
    ),
    "period_closed": (
        "Kỳ báo cáo «{period}» của kế hoạch #{plan} đã khóa sổ (đã tổng kết), nên không nhận thêm báo cáo hay "
        "bản sửa. Nếu cần điều chỉnh số liệu, hãy liên hệ cơ quan tổng hợp báo cáo."
    ),
    "report_duplicate": (
        "Báo cáo này của «{unit}» kỳ «{period}» đã được ghi nhận (phiên bản {version}, lúc {when}); nội dung giống "
        "hệt nên không ghi thêm. Nếu cần sửa, hãy sửa trong biểu mẫu rồi gửi lại: bản sửa thành phiên bản mới."
    ),
    "report_recorded": "Đã nhận báo cáo của {unit} kỳ «{period}» (phiên bản {version}).",
    "report_recorded_figure": "  - {target} ({text}): {value}",
    "report_recorded_tasks": "  - Kết quả thực hiện {count} nhiệm vụ.",
    "report_none": "Kế hoạch #{plan} chưa có báo cáo nào{period}.",
    "report_not_sent": "Đơn vị «{unit}» chưa gửi báo cáo kỳ «{period}».",
    "report_no_version": (
        "Báo cáo kỳ «{period}» của «{unit}» không có phiên bản {version} (các phiên bản: {versions})."
    ),
    "report_heading": "Báo cáo {period} của {unit_name} ({unit}) — phiên bản {version}/{versions}{latest}",
    "report_latest": " (mới nhất, được tính khi tổng hợp)",
    "report_sent_by": "Gửi lúc {when}, người gửi: {by}{file}",
    "report_sent_file": ", tệp: {file} (SHA-256 {sha256})",
    "report_other": "Nội dung đơn vị bổ sung:",
    "plans_failed": (
        "{count} kế hoạch chưa xử lý xong ({failures}). Các kế hoạch khác đã xong; chạy lại sẽ chỉ làm "
        "phần còn thiếu, không gửi lại thư đã gửi."
    ),
    # audit
    "audit_ok": "Chuỗi nhật ký toàn vẹn: {events} sự kiện, {files} tệp đã ban hành khớp SHA-256.",
    "audit_broken_event": "Mắt xích hỏng đầu tiên: sự kiện #{id} ({action}) — {why}.",
    "audit_broken_file": "Tệp đã ban hành bị thay đổi: {file} (văn bản {number}) — {why}.",
    # the register ("sổ đăng ký văn bản đi"), corrections and withdrawals
    "unknown_document": (
        "Không có văn bản đã ban hành số «{reference}». Hãy ghi số, ký hiệu như trong sổ (ví dụ 05/KH-UBND, "
        "48-KH/ĐU) hoặc #MÃ; xem sổ bằng «kehoach register»."
    ),
    "ambiguous_document": (
        "Có nhiều văn bản số «{reference}» (mỗi năm, nhiệm kỳ đánh số lại): {found}. Hãy ghi kèm ngày, ví dụ "
        "«{reference} ngày 23/11/2026», hoặc #MÃ của văn bản cần chọn."
    ),
    "document_action_not_allowed": (
        "Không thể «{action}» văn bản {reference} vì văn bản {status}. Văn bản đã thu hồi hoặc đã bị thay thế "
        "không còn được đính chính, thay thế hay thu hồi lần nữa."
    ),
    "issue_date_future": "Ngày ban hành {date} chưa tới (hôm nay là {today}). Hãy ghi ngày ký thực tế.",
    "issue_date_before_draft": "Ngày ban hành {date} trước ngày lập dự thảo ({draft}). Hãy ghi ngày ký thực tế.",
    "corrections_empty": (
        "Chưa có nội dung đính chính nào{where}. Ghi --at «vị trí» --was «đã viết» --now «sửa lại là», hoặc "
        "--file TỆP.yaml với danh sách các mục at/was/now."
    ),
    "correction_fields": "Mục đính chính thứ {index}{where} phải có đủ at (vị trí), was (đã viết) và now (sửa lại là).",
    "correction_same": "Mục đính chính thứ {index}{where} ghi nội dung sửa giống hệt nội dung cũ («{text}»).",
    "replace_with_alone": (
        "--replace-with thay thế văn bản bằng một kế hoạch đã duyệt, với người ký và nội dung của kế hoạch đó; "
        "không dùng cùng {options}. Để đính chính một số chỗ, bỏ --replace-with."
    ),
    "correction_signer_title": (
        "«{user}» không phải người đã ký {reference} ({original}), nên chưa biết chức vụ ghi ở phần ký của công văn "
        "đính chính. Hãy ghi --title «CHỨC VỤ» (ví dụ «CHỦ TỊCH»), và --capacity «TM. ỦY BAN NHÂN DÂN» nếu ký "
        "thay mặt tập thể hoặc ký thay."
    ),
    "correction_signer_no_role": (
        "«{user}» không có vai trò «ký ban hành» tại {body}, nên không ký được công văn đính chính {reference}. "
        "Người có thể ký: {signers}. Hãy chọn một người bằng --signer, hoặc bổ sung vai trò trong tệp tổ chức."
    ),
    "register_needs_body": "Hãy chọn sổ của cơ quan nào bằng --body MÃ_CƠ_QUAN (các cơ quan đã ban hành văn bản: {bodies}).",
    "register_term_for_state": "{body} là cơ quan nhà nước: sổ văn bản đi đánh số theo năm, hãy dùng --year thay cho --term.",
    "register_unknown_type": "Không có loại văn bản «{value}». Các loại: {types}.",
    "register_receipts": "{confirmed}/{total} nơi nhận đã xác nhận",
    "register_note_corrects": "Đính chính {type} số {reference} ngày {date}",
    "register_note_replaces": "Thay thế {type} số {reference} ngày {date}",
    "register_note_corrected_by": "Đã được đính chính bởi {type} số {reference} ngày {date}",
    "register_note_replaced_by": "Đã bị thay thế bởi {type} số {reference} ngày {date}",
    "register_note_withdrawn": "Đã thu hồi ngày {date}: {reason}",
    "register_empty": "Sổ văn bản đi của {body}, {book}: chưa có văn bản nào{filtered}.",
    "register_exported": "Đã ghi sổ văn bản đi ({sheets} trang tính, {rows} văn bản) vào {file}.",
    "cannot_rebuild": (
        "Không dựng lại được văn bản {reference} từ dữ liệu đã lưu (thiếu dữ liệu kỳ báo cáo hoặc báo cáo đã "
        "tổng hợp), nên chưa so được nội dung."
    ),
    "verify_issued": "Tệp này đúng là văn bản {reference} đã ban hành; dựng lại từ dữ liệu đã lưu cho đúng từng byte.",
    "verify_unknown": (
        "Tệp {file} không phải là văn bản nào đã ban hành (SHA-256 {digest} không có trong sổ). Hãy kiểm tra "
        "xem có đúng tệp nhận được không."
    ),
    "verify_altered": (
        "Tệp {file} mang tên văn bản {reference} ban hành ngày {date} nhưng nội dung khác tệp đã ban hành: "
        "tệp đã bị sửa. Hãy dùng bản lưu gốc (kehoach register cho biết tên tệp và SHA-256)."
    ),
    "verify_claims_altered": (
        "Tệp {file} ghi «{printed}»: đó là văn bản {reference} của {body} ban hành ngày {date}, nhưng nội dung "
        "tệp khác tệp đã ban hành ({file_name}, SHA-256 {expected}): tệp đã bị sửa. Hãy dùng bản lưu gốc."
    ),
    "verify_claims_other_date": (
        "Tệp {file} ghi «{printed}», nhưng văn bản {reference} của {body} được ban hành ngày {date} và nội dung "
        "tệp khác tệp đã ban hành (SHA-256 {expected}): tệp đã bị sửa, cả ngày ban hành. Hãy dùng bản lưu gốc."
    ),
    "verify_claims_unknown": (
        "Tệp {file} ghi «{printed}», nhưng sổ văn bản đi không có văn bản nào số {reference}: đây không phải là "
        "văn bản đã ban hành (SHA-256 {digest})."
    ),
    "verify_stored_altered": (
        "Tệp khớp SHA-256 văn bản {reference}, nhưng bản lưu trong cơ sở dữ liệu hoặc nhật ký không còn khớp: "
        "dữ liệu đã bị sửa ngoài kehoach. Chạy «kehoach audit verify» để xem chỗ bị sửa."
    ),
    "verify_rerender_differs": (
        "Tệp đúng là văn bản {reference} đã ban hành, nhưng dựng lại từ dữ liệu hiện có thì ra nội dung khác: "
        "dữ liệu gốc (nội dung kế hoạch, tên cơ quan, báo cáo) đã bị thay đổi sau khi ban hành. "
        "Chạy «kehoach audit verify» để xem chỗ bị sửa."
    ),
    "bad_date": "«{value}» ở {option} không phải là ngày hợp lệ; hãy ghi dạng dd/mm/yyyy, ví dụ 23/11/2026.",
    "document_corrected": (
        "Đã đính chính {old} bằng Công văn số {reference}: {path}\n    SHA-256 {digest}"
    ),
    "document_withdrawn": "Đã thu hồi văn bản {reference} (lý do: {reason}); số của văn bản không được dùng lại.",
    "audit_exported": "Đã xuất {events} sự kiện nhật ký vào {file} (cách tự kiểm tra: docs/audit-chain.md).",
    "audit_plan_changed": (
        "Nội dung kế hoạch #{plan} (đã ban hành, số {reference}) bị sửa trực tiếp trong cơ sở dữ liệu: không còn "
        "khớp mã băm đã ghi trong nhật ký khi soạn thảo."
    ),
    "audit_counter_rewound": (
        "Sổ văn bản đi của {body}, sổ {series} bị lùi số: bộ đếm ghi {last} nhưng đã cấp tới số {highest}; "
        "số có thể bị cấp trùng."
    ),
    "audit_mark_unrecorded": (
        "Văn bản {reference} mang tình trạng «{status}» không khớp sự kiện nào trong nhật ký (bị thêm hoặc sửa ngoài "
        "kehoach: ngày, lý do hoặc văn bản đính chính, thay thế)."
    ),
    "mail_cancelled": "Không gửi: văn bản {reference} {status} trước khi thư được gửi.",
    "mail_document_withdrawn": (
        "Thư #{id} mang văn bản {reference}, văn bản này {status}: không gửi lại. Nơi nhận đã được báo bằng thư "
        "thu hồi hoặc thay thế (kehoach mail list)."
    ),
    "archive_file_differs": (
        "Thư mục văn bản {directory}: đã ghi {written} tệp, {present} tệp đã có sẵn đúng nội dung; KHÔNG ghi đè "
        "{count} tệp trùng tên văn bản đã ban hành nhưng nội dung khác: {files}. Đó là bằng chứng tệp đã bị sửa "
        "(«kehoach audit verify» nêu tên). Cất tệp đó sang chỗ khác rồi chạy «kehoach documents write»: bản đã "
        "ban hành, lưu trong cơ sở dữ liệu, được ghi lại."
    ),
    "archive_file_expected": "«{name}» (SHA-256 của bản đã ban hành: {sha256})",
    "archive_written": (
        "Thư mục văn bản {directory}: đã ghi {written} tệp từ cơ sở dữ liệu, {present} tệp đã có sẵn đúng nội dung; "
        "không tệp nào bị sửa."
    ),
    "archive_written_file": "  đã ghi: {name}",
    "correction_not_archived": (
        "Công văn đính chính {reference} ĐÃ được vào sổ và gửi tới các nơi nhận (xem dòng thư ở trên); không phải "
        "đính chính lại. Chỉ bản lưu trong thư mục văn bản chưa ghi được: {error} Xử lý xong, chạy «kehoach "
        "documents write --plan {plan}» để ghi bản lưu từ cơ sở dữ liệu."
    ),
    "audit_document_changed": (
        "Văn bản {reference} trong sổ đã bị sửa ngoài kehoach: {fields} khác với lúc vào sổ (sự kiện #{event} của "
        "nhật ký)."
    ),
    "verify_record_changed": (
        "Tệp khớp SHA-256 văn bản {reference}, nhưng dòng của văn bản trong sổ đã bị sửa ngoài kehoach: {fields} "
        "khác với lúc vào sổ. Chạy «kehoach audit verify» để xem chỗ bị sửa."
    ),
    "document_field_number": "số",
    "document_field_reference": "số, ký hiệu",
    "document_field_series": "sổ (năm hoặc nhiệm kỳ)",
    "document_field_issued_on": "ngày ban hành",
    "document_field_file_name": "tên tệp",
    "document_field_sha256": "mã SHA-256",
    "document_field_signer": "người ký",
    "document_field_body": "cơ quan ban hành",
    "document_field_doc_type": "loại văn bản",
    "document_field_subject": "trích yếu",
    "document_field_facts_sha256": "dữ liệu dựng văn bản (nội dung đính chính, kỳ báo cáo, các báo cáo)",
    "mail_postponed": (
        "máy chủ thư tạm thời không nhận ({error}). Các bước trước đã được lưu; thư vẫn nằm trong hộp thư đi. "
        "Kiểm tra cấu hình KEHOACH_SMTP_* rồi chạy «kehoach mail send» để gửi tiếp."
    ),
    # the outbox, as staff see it
    "mail_status_pending": "chờ gửi",
    "mail_status_sending": "đang gửi",
    "mail_status_sent": "đã gửi",
    "mail_status_failed": "không gửi được",
    "mail_kind_distribution": "phát hành văn bản",
    "mail_kind_report_request": "đề nghị báo cáo",
    "mail_kind_reminder": "nhắc báo cáo",
    "mail_kind_receipt_reminder": "nhắc xác nhận đã nhận",
    "mail_kind_correction": "đính chính văn bản",
    "mail_kind_replacement": "văn bản thay thế",
    "mail_kind_withdrawal": "thu hồi văn bản",
    "mail_unknown": "Không có thư #{id} trong hộp thư đi. Dùng «kehoach mail list» để xem các thư.",
    "mail_not_failed": (
        "Thư #{id} đang ở trạng thái «{status}»; chỉ đưa lại vào hàng chờ được thư ở trạng thái «không gửi được»."
    ),
    "mail_sent_summary": "Đã gửi {sent} thư; {failed} thư không gửi được.",
    "mail_failed_hint": "Xem lý do: «kehoach mail list --failed»; sửa địa chỉ rồi «kehoach mail retry SỐ_THƯ».",
    "mail_retried": "Thư #{id} tới {email} đã được đưa lại vào hàng chờ gửi; chạy «kehoach mail send» để gửi.",
    "mail_none": "Không có thư nào.",
    # receipts ("xác nhận đã nhận")
    "receipt_code_invalid": (
        "«{value}» không phải là mã xác nhận: mã gồm 10 chữ và số, ví dụ K7M2Q-9XH4T, in trong thư phát hành văn bản."
    ),
    "receipt_code_unknown": "Không có văn bản nào chờ xác nhận với mã {value}. Hãy kiểm tra lại mã in trong thư.",
    "receipt_already_confirmed": (
        "{recipient} đã xác nhận đã nhận văn bản số {reference} lúc {when} (người ghi nhận: {by}); "
        "không cần xác nhận lại."
    ),
    "receipt_not_entitled": (
        "Người dùng «{user}» không thuộc {recipient} hay {issuer}, nên không được ghi nhận đã nhận thay."
    ),
    "receipt_confirmed": "Đã ghi nhận: {recipient} đã nhận văn bản số {reference} lúc {when}.",
    "receipt_reminded": "Đã đưa {count} thư nhắc xác nhận đã nhận vào hàng chờ gửi.",
    "receipt_none": "Kế hoạch #{plan} chưa có văn bản nào đề nghị xác nhận đã nhận.",
    "receipt_summary": "{confirmed}/{total} nơi nhận đã xác nhận đã nhận.",
    "receipt_not_yet": "chưa xác nhận",
}


def message(code: str, **params: object) -> str:
    """The Vietnamese sentence for `code`, filled with `params`, NFC-normalised."""
    return unicodedata.normalize("NFC", MESSAGES[code].format(**params))


def where(line: int | None) -> str:
    """" (dòng N)" when a source line is known, else ""."""
    return message("at_line", line=line) if line else ""


class DomainError(Exception):
    """A refused command: carries a message code and its parameters."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(message(code, **params))
