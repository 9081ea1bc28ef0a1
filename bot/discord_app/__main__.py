"""`python -m bot.discord_app`: start the bot (the same as `coach run`)."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from bot.coach import CoachError
from bot.config import Settings
from bot.discord_app.bot import run


def main() -> int:
    try:
        run(Settings())
    except CoachError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "COACH_" + str(first["loc"][0]).upper() if first.get("loc") else "a setting"
        print(f"Error: invalid setting {name}: {first['msg']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
