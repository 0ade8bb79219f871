from . import relance_docx
