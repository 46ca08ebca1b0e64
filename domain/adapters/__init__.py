"""The only code that touches SQL, python-docx, Jinja2 and SMTP."""
