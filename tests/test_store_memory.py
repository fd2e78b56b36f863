"""The store contract against the in-memory store."""
import pytest

from bot.store.memory import MemoryStore
from store_contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self):
        return MemoryStore()
