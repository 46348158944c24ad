"""HTTP and WebSocket server: openenv's app around the inventory environment (transport only)."""

from __future__ import annotations

import os

from openenv.core.env_server.http_server import create_app

from models import InventoryAction, InventoryObservation
from server.inventory_env import InventoryEnvironment

app = create_app(
    InventoryEnvironment,
    InventoryAction,
    InventoryObservation,
    env_name="inventory_env",
    max_concurrent_envs=int(os.environ.get("MAX_CONCURRENT_ENVS", "64")),
)


def main() -> None:
    """Entry point of the ``server`` console script."""
    import uvicorn

    uvicorn.run(
        app, host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8000"))
    )


if __name__ == "__main__":
    main()
