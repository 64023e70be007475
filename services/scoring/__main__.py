"""python -m services.scoring: run the scoring service."""

from services.common.server import main
from services.scoring.service import SPEC

if __name__ == "__main__":
    main(SPEC)
