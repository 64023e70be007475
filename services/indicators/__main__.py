"""python -m services.indicators: run the indicators service."""

from services.common.server import main
from services.indicators.service import SPEC

if __name__ == "__main__":
    main(SPEC)
