"""khsearch: search and cited answers over Vietnamese government plans."""
__version__ = "0.3.1"

from .answer import ask
from .compare import compare, plan_facts
from .retrieve import search
from .stores import add_vectors, build, open_index

__all__ = ["__version__", "add_vectors", "ask", "build", "compare", "open_index", "plan_facts", "search"]
