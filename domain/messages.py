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
        "với kế hoạch cấp trên. Nếu kế hoạch cấp trên có trong hệ thống, hãy ghi đúng số, ký hiệu và ngày của nó "
        "(kehoach plan list) rồi cập nhật dự thảo."
    ),
    "implements_itself": "«implements: {cited}» là chính kế hoạch này; một kế hoạch không thể thực hiện chính nó.",
    "implements_bad_date": (
        "Ngày trong «implements: {cited}» không có thật. Hãy ghi ngày ban hành của kế hoạch cấp trên dạng "
        "ngày/tháng/năm, ví dụ «Số 41/KH-UBND ngày 20/01/2026»."
    ),
    # reporting
    "no_open_period": "Kế hoạch #{plan} chưa có kỳ báo cáo «{period}» đang mở. Hãy mở kỳ báo cáo trước.",
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
        "Chỉ tiêu «{target}»{where} là chỉ tiêu giảm (direction: reduce_by) nên phải có mức đầu kỳ để tính mức "
        "đã giảm: thêm «baseline:» là số liệu lúc bắt đầu (ví dụ tỷ lệ hộ nghèo cuối năm trước, baseline: 2,1)."
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
    "review_exists_hint_done": "Báo cáo đã ban hành không sửa được; xem: kehoach review show {review}.",
    "unknown_review": "Không có báo cáo sơ kết, tổng kết «{review}». Dùng «kehoach review list PLAN» để xem các báo cáo.",
    "review_already_issued": (
        "Báo cáo #{review} đã ban hành với số {number} ngày {date}; không thể ban hành lần nữa."
    ),
    "no_reports": "Kỳ «{period}» của kế hoạch #{plan} chưa có báo cáo nào để tổng hợp.",
    "plans_failed": (
        "{count} kế hoạch chưa xử lý xong ({failures}). Các kế hoạch khác đã xong; chạy lại sẽ chỉ làm "
        "phần còn thiếu, không gửi lại thư đã gửi."
    ),
    # audit
    "audit_ok": "Chuỗi nhật ký toàn vẹn: {events} sự kiện, {files} tệp đã ban hành khớp SHA-256.",
    "audit_broken_event": "Mắt xích hỏng đầu tiên: sự kiện #{id} ({action}) — {why}.",
    "audit_broken_file": "Tệp đã ban hành bị thay đổi: {file} (văn bản {number}) — {why}.",
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
