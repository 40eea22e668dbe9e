"""Console pages for policies and the policy simulator."""

from policies.views.managed import (
    policy_bulk_delete,
    policy_create,
    policy_delete,
    policy_detail,
    policy_list,
    policy_tag,
    policy_untag,
    policy_validate,
)
from policies.views.simulator import simulator, simulator_actions
from policies.views.versions import (
    version_create,
    version_delete,
    version_diff,
    version_set_default,
)

__all__ = [
    "policy_bulk_delete",
    "policy_create",
    "policy_delete",
    "policy_detail",
    "policy_list",
    "policy_tag",
    "policy_untag",
    "policy_validate",
    "simulator",
    "simulator_actions",
    "version_create",
    "version_delete",
    "version_diff",
    "version_set_default",
]
