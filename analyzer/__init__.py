"""IAM Access Analyzer: policy checks, external and unused access, policy generation."""
