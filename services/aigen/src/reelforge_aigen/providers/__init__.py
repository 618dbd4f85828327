"""The providers a deployment offers: each configured one, and the local one."""

from __future__ import annotations

from dataclasses import dataclass

from reelforge_aigen.config import AigenSettings
from reelforge_aigen.providers.base import VideoProvider
from reelforge_aigen.providers.chat import ChatProvider
from reelforge_aigen.providers.http import Downloads
from reelforge_aigen.providers.local import LocalProvider
from reelforge_aigen.providers.minimax import MiniMax
from reelforge_aigen.providers.segmind import Segmind
from reelforge_common.safe_egress import AddressPolicy


@dataclass
class Providers:
    video: dict[str, VideoProvider]
    # The chat model, when one is configured.
    chat: ChatProvider | None

    async def close(self) -> None:
        for provider in self.video.values():
            await provider.close()
        if self.chat is not None:
            await self.chat.close()


def build_providers(settings: AigenSettings) -> Providers:
    """Every provider with credentials, plus ``local`` unless turned off."""
    downloads = Downloads(
        policy=AddressPolicy(settings.download_allow_networks),
        max_bytes=settings.max_video_bytes,
        timeout_s=max(settings.provider_timeout_s, 300.0),
    )
    timeout = settings.provider_timeout_s
    video: dict[str, VideoProvider] = {}
    if settings.local_provider:
        video["local"] = LocalProvider()
    if key := settings.minimax_api_key.get_secret_value():
        video["minimax"] = MiniMax(
            api_key=key,
            base_url=settings.minimax_base_url,
            group_id=settings.minimax_group_id,
            default_model=settings.minimax_default_model,
            timeout_s=timeout,
            downloads=downloads,
        )
    if key := settings.segmind_api_key.get_secret_value():
        video["segmind"] = Segmind(
            api_key=key,
            base_url=settings.segmind_base_url,
            default_model=settings.segmind_default_model,
            timeout_s=timeout,
            downloads=downloads,
        )
    chat = None
    if settings.llm_base_url and (key := settings.llm_api_key.get_secret_value()):
        chat = ChatProvider(
            api_key=key,
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            timeout_s=timeout,
            downloads=downloads,
        )
    return Providers(video=video, chat=chat)
