"""What IAM decides for AssumeRoleWithWebIdentity, read from infra/aws/rootmail-roles.yaml: the OIDC provider (issuer
URL, accepted audiences) and each role's trust policy, resolved with stack parameters, then evaluated on a token.

moto does not evaluate trust policies, so this stands in for that part of IAM. It implements only what the template
uses, and refuses anything else rather than guessing:
- the token's `iss` must equal the provider's Url and its `aud` be in ClientIdList, else STS answers
  InvalidIdentityToken (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html;
  error codes: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html, Errors);
- a statement allows when Principal.Federated is the provider's ARN, Action is sts:AssumeRoleWithWebIdentity and
  every StringEquals condition holds (a list of values: any one; several keys: all). Keys are
  `<provider URL without https://>:aud` and `:sub`, matched exactly and case-sensitively
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String);
- no allowing statement: AccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_roles.html).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.paths import ROOT

TEMPLATE = ROOT / "infra" / "aws" / "rootmail-roles.yaml"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::URLSuffix": "amazonaws.com"}


class _Loader(yaml.SafeLoader):
    """CloudFormation's short forms (!Sub, !Ref, ...) as their long Fn:: forms."""


for _tag in ("Ref", "Sub", "GetAtt", "If", "Equals", "Not", "Join", "Select", "Split"):
    def _construct(loader, node, tag=_tag):
        value = (loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
                 else loader.construct_sequence(node, deep=True))
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {"Ref" if tag == "Ref" else f"Fn::{tag}": value}
    _Loader.add_constructor(f"!{_tag}", _construct)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)


@dataclass(frozen=True)
class Provider:
    arn: str
    url: str
    client_ids: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = ""  # the STS error code when refused
    reason: str = ""


class Stack:
    """The template deployed with `parameters` into `account`."""

    def __init__(self, parameters: dict[str, str], account: str = "111111111111", template: dict | None = None):
        self.template = template or load_template()
        self.account = account
        declared = self.template["Parameters"]
        unknown = set(parameters) - set(declared)
        assert not unknown, f"the template declares no {unknown}"
        self.parameters = {name: parameters.get(name, spec.get("Default")) for name, spec in declared.items()}
        missing = [name for name, value in self.parameters.items() if value is None]
        assert not missing, f"parameters without a value: {missing}"
        for name, spec in declared.items():
            pattern = spec.get("AllowedPattern")
            if pattern and not re.search(pattern, self.parameters[name]):
                raise ValueError(f"{name}={self.parameters[name]!r} does not match {pattern}")  # CloudFormation refuses
        self.conditions = {name: self.resolve(body) for name, body in self.template.get("Conditions", {}).items()}

    # --- resolving intrinsic functions (only those the template uses) --------------------------------------------
    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return self._ref(value)
            if key == "Fn::Sub":
                text, names = (value, {}) if isinstance(value, str) else (value[0], self.resolve(value[1]))
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(names[m[1]] if m[1] in names else self._ref(m[1])),
                              text)
            if key == "Fn::If":
                name, yes, no = value
                return self.resolve(yes if self.conditions[name] else no)
            if key == "Fn::Equals":
                return self.resolve(value[0]) == self.resolve(value[1])
            if key == "Fn::Not":
                return not self.resolve(value[0])
            if key == "Fn::GetAtt":
                resource, attribute = value
                assert attribute == "Arn", f"GetAtt {attribute} is not modelled"
                return self._arn(resource)
            assert not key.startswith("Fn::"), f"{key} is not modelled"
        return {key: self.resolve(value) for key, value in node.items()}

    def _ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name == "AWS::AccountId":
            return self.account
        if name in PSEUDO:
            return PSEUDO[name]
        return self._arn(name)  # Ref of an AWS::IAM::OIDCProvider is its ARN (its CloudFormation page, Return values)

    def _arn(self, logical_id: str) -> str:
        resource = self.template["Resources"][logical_id]
        properties = resource["Properties"]
        if resource["Type"] == "AWS::IAM::OIDCProvider":
            return f"arn:aws:iam::{self.account}:oidc-provider/{self.resolve(properties['Url']).removeprefix('https://')}"
        if resource["Type"] == "AWS::IAM::Role":
            return f"arn:aws:iam::{self.account}:role/{self.resolve(properties['RoleName'])}"
        raise AssertionError(f"no ARN modelled for {resource['Type']}")

    # --- what the stack holds ---------------------------------------------------------------------------------------
    def exists(self, logical_id: str) -> bool:
        condition = self.template["Resources"][logical_id].get("Condition")
        return condition is None or self.conditions[condition]

    def providers(self) -> list[Provider]:
        return [Provider(self._arn(name), self.resolve(body["Properties"]["Url"]),
                         tuple(self.resolve(body["Properties"]["ClientIdList"])))
                for name, body in self.template["Resources"].items()
                if body["Type"] == "AWS::IAM::OIDCProvider" and self.exists(name)]

    def role_arn(self, logical_id: str) -> str:
        return self._arn(logical_id)

    def trust(self, role_arn: str) -> dict[str, Any]:
        for name, body in self.template["Resources"].items():
            if body["Type"] == "AWS::IAM::Role" and self.exists(name) and self._arn(name) == role_arn:
                document = self.resolve(body["Properties"]["AssumeRolePolicyDocument"])
                return json.loads(document) if isinstance(document, str) else document
        raise KeyError(role_arn)

    def policies(self, logical_id: str) -> list[dict[str, Any]]:
        body = self.template["Resources"][logical_id]["Properties"]
        return [self.resolve(policy["PolicyDocument"]) for policy in body.get("Policies", [])]

    def decide(self, role_arn: str, claims: dict[str, Any], providers: list[Provider] | None = None) -> Decision:
        """IAM's answer to AssumeRoleWithWebIdentity for `role_arn` with a token carrying `claims` (already
        signature-checked by the caller)."""
        providers = self.providers() if providers is None else providers
        issuer = str(claims.get("iss", ""))
        provider = next((p for p in providers if p.url == issuer), None)
        if provider is None:
            return Decision(False, "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}")
        if claims.get("aud") not in provider.client_ids:
            return Decision(False, "InvalidIdentityToken", "Incorrect token audience")
        try:
            document = self.trust(role_arn)
        except KeyError:
            return Decision(False, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        prefix = provider.url.removeprefix("https://")
        for statement in document["Statement"]:
            if self._allows(statement, provider, prefix, claims):
                return Decision(True)
        return Decision(False, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")

    @staticmethod
    def _allows(statement: dict, provider: Provider, prefix: str, claims: dict) -> bool:
        if statement.get("Effect") != "Allow" or statement.get("Principal", {}).get("Federated") != provider.arn:
            return False
        actions = statement.get("Action")
        if "sts:AssumeRoleWithWebIdentity" not in (actions if isinstance(actions, list) else [actions]):
            return False
        conditions = dict(statement.get("Condition", {}))
        equals = conditions.pop("StringEquals", {})
        assert not conditions, f"condition operators not modelled: {list(conditions)}"
        for key, wanted in equals.items():
            issuer_part, _, claim = key.rpartition(":")
            assert issuer_part == prefix and claim in ("aud", "sub"), f"condition key not modelled: {key}"
            if claims.get(claim) not in (wanted if isinstance(wanted, list) else [wanted]):
                return False
        return True
