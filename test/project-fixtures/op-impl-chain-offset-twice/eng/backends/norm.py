from abc import ABC, abstractmethod


class RMSNormImpl(ABC):
    """RMS norm implementation api."""

    @abstractmethod
    def forward(self, x, weight, residual=None):
        raise NotImplementedError
