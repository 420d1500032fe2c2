"""Microsoft's clouds, each with the Graph endpoint, Entra ID authority and Graph token scope that belong together.

From microsoftgraph/microsoft-graph-docs-contrib concepts/deployments.md (the service root and Entra ID endpoint of
each national cloud; Microsoft 365 GCC keeps the global endpoints, GCC High uses US Government L4, DoD uses L5) and
concepts/sdks/national-clouds.md (the client-credentials scope is the cloud's Graph root with /.default, and tokens
of one cloud are not accepted by another)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    graph: str  # Microsoft Graph service root
    authority: str  # Microsoft Entra ID token endpoint host
    meaning: str

    @property
    def base_url(self) -> str:
        return f"{self.graph}/v1.0"

    @property
    def scope(self) -> str:
        return f"{self.graph}/.default"


CLOUDS: dict[str, Cloud] = {
    "public": Cloud("https://graph.microsoft.com", "login.microsoftonline.com", "global service (and M365 GCC)"),
    "usgov": Cloud("https://graph.microsoft.us", "login.microsoftonline.us", "US Government L4 (GCC High)"),
    "usgov-dod": Cloud("https://dod-graph.microsoft.us", "login.microsoftonline.us", "US Government L5 (DoD)"),
    "china": Cloud("https://microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn", "China, operated by 21Vianet"),
}
