"""Domain models of the inventory, one module per concept."""

from inventory.models.agency import Agency, Numbering, People, Person, WanPolicy
from inventory.models.credential import (
    AuthProtocol,
    Credentials,
    PrivProtocol,
    SnmpProfile,
    SnmpVersion,
    SshProfile,
    TsigAlgorithm,
    TsigProfile,
)
from inventory.models.device import (
    ChangeAccess,
    Device,
    DeviceKind,
    Interface,
    Platform,
    PlatformTraits,
    Role,
    ShapingAccess,
    default_kind,
)
from inventory.models.inventory import Inventory, InventoryFile
from inventory.models.link import Endpoint, Link, Shaping
from inventory.models.opd import Opd
from inventory.models.prefix import Prefix, Purpose, Reserved, Static
from inventory.models.site import Site, SiteKind
from inventory.models.sop import Sop, SopCatalog, SopStep
from inventory.models.zone import Zone, ZoneKind

__all__ = [
    "Agency",
    "AuthProtocol",
    "ChangeAccess",
    "Credentials",
    "Device",
    "DeviceKind",
    "Endpoint",
    "Interface",
    "Inventory",
    "InventoryFile",
    "Link",
    "Numbering",
    "Opd",
    "People",
    "Person",
    "Platform",
    "PlatformTraits",
    "Prefix",
    "PrivProtocol",
    "Purpose",
    "Reserved",
    "Role",
    "Shaping",
    "ShapingAccess",
    "Site",
    "SiteKind",
    "SnmpProfile",
    "SnmpVersion",
    "Sop",
    "SopCatalog",
    "SopStep",
    "SshProfile",
    "Static",
    "TsigAlgorithm",
    "TsigProfile",
    "WanPolicy",
    "Zone",
    "ZoneKind",
    "default_kind",
]
