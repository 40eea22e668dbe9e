"""The operations layer: one function per IAM action, each taking ``actor=``.

Every operation authorizes the caller with the policy engine, does its work in
one transaction and records an audit event. Console views and API handlers call
these and nothing else to change data.

Import an operation from its module (``from accounts.operations import users``;
``users.create_user(...)``): each module's ``__all__`` lists its operations. The
package re-exports nothing, so an import names where the code lives.
"""
