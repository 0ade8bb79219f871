from . import relance_docx
from . import pdf_threads
from . import report_layout
