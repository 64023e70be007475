"""python -m services.submissions: run the submissions service."""

from services.common.server import main
from services.submissions.service import SPEC

if __name__ == "__main__":
    main(SPEC)
