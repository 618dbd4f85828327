"""Child process for the concurrent-migration test: migrates the schema
named by the environment with the migrations in argv[1]."""

import asyncio
import sys
from pathlib import Path

from reelforge_common.db import Database
from reelforge_common.settings import ServiceSettings


async def main(migrations: Path) -> None:
    settings = ServiceSettings()
    db = await Database.connect(settings.database_url.get_secret_value(), schema=settings.database_schema)
    applied = await db.migrate("svc", migrations)
    print(f"applied={','.join(applied)}", flush=True)
    await db.close()


asyncio.run(main(Path(sys.argv[1])))
