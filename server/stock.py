"""Batch-tracked stock of one product, oldest batch first (FIFO)."""

from __future__ import annotations


class ProductStock:
    """On-hand batches of one product as ``[quantity, days_left]`` lists, oldest first.

    ``days_left`` is ``None`` for products that never expire; such stock is kept as a single
    batch, since batch age cannot matter for it.
    """

    __slots__ = ("batches", "perishable")

    def __init__(self, perishable: bool, batches: list[list[int | None]] | None = None) -> None:
        self.perishable = perishable
        self.batches: list[list[int | None]] = []
        for quantity, days_left in batches or []:
            self.add(int(quantity), days_left)

    @property
    def on_hand(self) -> int:
        """Units in the warehouse."""
        return sum(batch[0] for batch in self.batches)

    def add(self, quantity: int, days_left: int | None) -> None:
        """Receive ``quantity`` units, newest last."""
        if quantity <= 0:
            return
        if not self.perishable:
            if self.batches:
                self.batches[0][0] += quantity
            else:
                self.batches.append([quantity, None])
            return
        self.batches.append([quantity, days_left])

    def take(self, quantity: int) -> int:
        """Remove up to ``quantity`` units, oldest batch first; return how many were taken."""
        taken = 0
        while self.batches and taken < quantity:
            batch = self.batches[0]
            moved = min(batch[0], quantity - taken)
            batch[0] -= moved
            taken += moved
            if batch[0] == 0:
                self.batches.pop(0)
        return taken

    def remove_expired(self) -> int:
        """Drop batches with no selling days left; return the units dropped."""
        if not self.perishable:
            return 0
        expired = sum(batch[0] for batch in self.batches if batch[1] <= 0)
        if expired:
            self.batches = [batch for batch in self.batches if batch[1] > 0]
        return expired

    def age_one_day(self) -> None:
        """One selling day has passed for every batch."""
        if self.perishable:
            for batch in self.batches:
                batch[1] -= 1

    def snapshot(self) -> list[list[int | None]]:
        """A copy of the batches, safe to hand out."""
        return [list(batch) for batch in self.batches]
