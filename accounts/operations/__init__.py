"""The operations layer: one function per IAM action, each taking ``actor=``.

Every operation authorizes the caller with the policy engine, does its work in
one transaction and records an audit event. Console views and API handlers call
these and nothing else to change data.
"""

from accounts.operations.account import *  # noqa: F403
from accounts.operations.credentials import *  # noqa: F403
from accounts.operations.groups import *  # noqa: F403
from accounts.operations.roles import *  # noqa: F403
from accounts.operations.users import *  # noqa: F403
