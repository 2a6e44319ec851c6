"""LTI 1.3 Advantage: OIDC login, launch validation, tool keys and JWKS, deep linking,
Assignment and Grade Services and Names and Role Provisioning (docs/lti.md)."""
