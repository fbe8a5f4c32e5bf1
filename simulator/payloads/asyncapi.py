"""The AsyncAPI 3.0 document of both delivery profiles: what the producer sends, and how.

Two servers (the consumer's endpoint as each profile reaches it), one webhook channel each, and
the producer's operations on them, all `send`: the legacy push of a Lead Activity batch (§1a,
behind an Authorization header: a static token or an OAuth client-credentials token), and on
Adobe I/O the deliveries of every stream single and batch (§4.2-§4.4), the challenge GET with
the reply it expects, and the asynchronous validation POST that follows a failed challenge
(§4.1, `shell.iolane`). Payloads are `$ref`s to the JSON Schema files of `jsonschemas`, by their
published names (`schemas/` next to this document); headers are schemas of their own, and the
I/O digital signatures, which no AsyncAPI security scheme expresses, are the `x-signature`
extension of the I/O server and described on its headers.
"""

from __future__ import annotations

from typing import Any

from simulator import __version__
from simulator.payloads.formats import CLOUDEVENTS_CONTENT_TYPE, CONTENT_TYPE
from simulator.payloads.signing import (
    HMAC_HEADER,
    KEY_CACHE_SECONDS,
    KEY_PATH_HEADERS,
    SIGNATURE_HEADERS,
)

Document = dict[str, Any]

ASYNCAPI_FILE = "asyncapi.json"
KEY_HOST = "https://static.adobeioevents.com"  # where the real service's public keys live (§4.3)

# I/O messages: name -> (schema file, title, what the payload is). Each has a batch twin.
_IO_STREAMS: dict[str, tuple[str, str]] = {
    "leadActivity": ("io-lead-activity.schema.json", "Lead Activity"),
    "userAuditV2": ("io-user-audit-v2.schema.json", "User Audit V2.0"),
    "userAuditV1": ("io-user-audit-v1.schema.json", "User Audit V1.0 (adobeIo.auditSchema V1.0)"),
    "notification": ("io-notification.schema.json", "Notification"),
    "notificationExperienceLeague": (
        "io-notification-experience-league.schema.json",
        "Notification, older shape (adobeIo.notificationShape experience-league)",
    ),
}


def _string(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _headers(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


def legacy_headers() -> dict[str, Any]:
    """The headers of a legacy push (§1a documents only Authorization)."""
    return _headers(
        {
            "Authorization": _string(
                "The subscription's credential: `Bearer <access token>` from the identity "
                "provider (auth type oauth), or the static token (auth type token; its header "
                "name and scheme are configurable, `Bearer` by default). Absent with auth none."
            ),
            "Content-Type": {"const": CONTENT_TYPE},
            "User-Agent": _string("marketo-stream-simulator/<version>"),
        },
        ["Content-Type"],
    )


def io_headers() -> dict[str, Any]:
    """The headers of an Adobe I/O delivery (§4.2) and its signatures (§4.3)."""
    one, two = SIGNATURE_HEADERS
    key_one, key_two = KEY_PATH_HEADERS
    signature = (
        "Base64 RSA PKCS#1 v1.5 signature with SHA-256 (rsa-sha256) over the raw body, by key "
        "pair {}; the delivery is genuine if either signature verifies"
    )
    key_path = _string(
        "Relative path of public key {}, /prod/keys/pub-key-<id>.pem: fetch it from the key "
        f"host and cache it for at most {KEY_CACHE_SECONDS / 3600:.0f} h",
        pattern=r"^/prod/keys/pub-key-[A-Za-z0-9_-]+\.pem$",
    )
    properties = {
        "Content-Type": _string(
            f"{CLOUDEVENTS_CONTENT_TYPE} by default (adobeIo.contentType); the docs show "
            f"{CONTENT_TYPE}"
        ),
        "User-Agent": _string("Adobe/1.0"),
        "Accept-Encoding": {"const": "deflate,compress,identity"},
        "x-adobe-delivery-id": _string("New on every delivery attempt"),
        "x-adobe-event-code": _string("The CloudEvent `type` of the first event"),
        "x-adobe-event-id": _string("The `eventid` of the first event, the same on every attempt"),
        "x-adobe-provider": _string("The event provider's name"),
        "x-adobe-retry-count": _string(
            "Absent on the first attempt; 1, 2, ... on the retries", pattern=r"^[1-9][0-9]*$"
        ),
        one: _string(signature.format(1)),
        two: _string(signature.format(2)),
        key_one: {**key_path, "description": key_path["description"].format(1)},
        key_two: {**key_path, "description": key_path["description"].format(2)},
        HMAC_HEADER: _string(
            "Deprecated: base64 HMAC-SHA256 of the raw body keyed with the client secret; sent "
            "only when adobeIo.hmacSecretEnv is set"
        ),
    }
    required = [
        "Content-Type",
        "User-Agent",
        "x-adobe-delivery-id",
        "x-adobe-event-code",
        "x-adobe-event-id",
        "x-adobe-provider",
        one,
        two,
        key_one,
        key_two,
    ]
    return _headers(properties, required)


def _payload(file: str, pointer: str = "") -> dict[str, Any]:
    return {"$ref": f"./{file}{'#' + pointer if pointer else ''}"}


def _messages() -> dict[str, Any]:
    messages: dict[str, Any] = {
        "legacyBatch": {
            "name": "legacyBatch",
            "title": "Lead Activity batch (legacy push)",
            "summary": "Up to 500 activities of one subscription, every 2 seconds by default.",
            "contentType": CONTENT_TYPE,
            "headers": {"$ref": "#/components/schemas/legacyHeaders"},
            "payload": _payload("legacy-batch.schema.json"),
        }
    }
    for name, (file, title) in _IO_STREAMS.items():
        for batch in (False, True):
            key = f"{name}Batch" if batch else name
            messages[key] = {
                "name": key,
                "title": f"{title}, {'batch' if batch else 'single'} delivery",
                "summary": (
                    "A JSON array of envelopes (delivery batch, at most 20 events and 2 MB)"
                    if batch
                    else "One event's envelope (delivery single)"
                ),
                "contentType": CLOUDEVENTS_CONTENT_TYPE,
                "traits": [{"$ref": "#/components/messageTraits/ioDelivery"}],
                "payload": _payload(file, "/$defs/Batch" if batch else ""),
            }
    messages["challenge"] = {
        "name": "challenge",
        "title": "Challenge",
        "summary": "GET <webhook>?challenge=<uuid> with no body, before the first delivery and "
        "after a re-enable; the webhook answers 2xx with the challenge.",
    }
    messages["challengeReply"] = {
        "name": "challengeReply",
        "title": "Challenge reply",
        "summary": "The webhook's answer: the challenge as text (quoted or not), or as JSON.",
        "payload": {
            "oneOf": [
                {"type": "string", "description": "text/plain: the challenge"},
                {
                    "type": "object",
                    "properties": {"challenge": {"type": "string"}},
                    "required": ["challenge"],
                },
            ]
        },
    }
    messages["validationUrl"] = {
        "name": "validationUrl",
        "title": "Asynchronous validation",
        "summary": "After a challenge that was not echoed: the webhook must answer 200, then "
        "GET the URL within 5 minutes, or the registration is disabled.",
        "contentType": CONTENT_TYPE,
        "payload": {
            "type": "object",
            "properties": {"validationUrl": {"type": "string", "format": "uri"}},
            "required": ["validationUrl"],
        },
    }
    return messages


def _channel_messages(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/messages/{name}"} for name in names}


def _post(channel: str, messages: list[str], title: str, summary: str) -> dict[str, Any]:
    return {
        "action": "send",
        "title": title,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in messages],
        "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
    }


def _signature_scheme() -> dict[str, Any]:
    """The I/O digital signatures (§4.3, `signing`), as an extension: no security scheme fits."""
    return {
        "algorithm": "rsa-sha256 (RSA PKCS#1 v1.5 over SHA-256), base64",
        "signedContent": "the raw request body, byte for byte",
        "signatureHeaders": list(SIGNATURE_HEADERS),
        "publicKeyPathHeaders": list(KEY_PATH_HEADERS),
        "publicKeyHost": KEY_HOST,
        "publicKeyCacheSeconds": int(KEY_CACHE_SECONDS),
        "valid": "if either signature verifies with the public key its path names",
        "legacyHmacHeader": HMAC_HEADER,
        "legacyHmac": "base64 HMAC-SHA256 of the raw body keyed with the client secret",
        "simulator": "marketo-sim serves its public keys on its own key host "
        "(`adobeIo` publisher, GET /prod/keys/<file>), not on static.adobeioevents.com",
    }


def _server(description: str, security: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "host": "{host}",
        "protocol": "https",
        "description": description,
        "variables": {"host": {"description": "the host (and port) of the consumer's webhook"}},
        "security": security,
    }


def asyncapi_document() -> Document:
    """The AsyncAPI 3.0 document of both delivery profiles."""
    io_events = [key for name in _IO_STREAMS for key in (name, f"{name}Batch")]
    io_all = [*io_events, "challenge", "challengeReply", "validationUrl"]
    legacy = _server(
        "The consumer's endpoint for the legacy Lead Activity push (profile marketo-legacy).",
        [
            {"$ref": "#/components/securitySchemes/oauthClientCredentials"},
            {"$ref": "#/components/securitySchemes/staticToken"},
        ],
    )
    io = _server(
        "The consumer's webhook registered with Adobe I/O Events (profile adobe-io). Deliveries "
        "are signed (x-signature), not authorised.",
        [],
    )
    io["x-signature"] = _signature_scheme()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Marketo Engage Data Streams, as marketo-stream-simulator sends them",
            "version": __version__,
            "description": "Both delivery profiles of the producer: the legacy Lead Activity "
            "push and Adobe I/O Events webhooks (Lead Activity, User Audit, Notification). "
            "Generated by `marketo-sim schema --events DIR` from the simulator's catalog; the "
            "payloads are the JSON Schema files next to this document. Every object tolerates "
            "fields it does not list: consumers must too.",
            "license": {"name": "MIT"},
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"legacyEndpoint": legacy, "ioWebhook": io},
        "channels": {
            "legacyWebhook": {
                "address": None,
                "title": "Legacy Lead Activity endpoint",
                "description": "The URL given at provisioning; every push is a POST to it.",
                "servers": [{"$ref": "#/servers/legacyEndpoint"}],
                "messages": _channel_messages(["legacyBatch"]),
            },
            "ioWebhook": {
                "address": None,
                "title": "Adobe I/O webhook",
                "description": "The registration's webhook URL: the challenge GET and every "
                "delivery POST go to it.",
                "servers": [{"$ref": "#/servers/ioWebhook"}],
                "messages": _channel_messages(io_all),
            },
        },
        "operations": {
            "pushLegacyBatch": _post(
                "legacyWebhook",
                ["legacyBatch"],
                "Push a batch",
                "2xx is success; anything else or no answer in 20 s is retried 3 times at "
                "3-minute intervals, then the subscription pauses and retries every 3 minutes.",
            ),
            "deliverIoEvents": _post(
                "ioWebhook",
                io_events,
                "Deliver events",
                "2xx within 10 s is success; otherwise the delivery is retried with backoff for "
                "up to 24 hours, and a webhook that keeps failing is disabled.",
            ),
            "challengeIoWebhook": {
                "action": "send",
                "title": "Verify the webhook",
                "summary": "GET ?challenge=<uuid>; the reply must carry the challenge.",
                "channel": {"$ref": "#/channels/ioWebhook"},
                "messages": [{"$ref": "#/channels/ioWebhook/messages/challenge"}],
                "bindings": {
                    "http": {
                        "method": "GET",
                        "query": {
                            "type": "object",
                            "properties": {"challenge": {"type": "string"}},
                            "required": ["challenge"],
                        },
                        "bindingVersion": "0.3.0",
                    }
                },
                "reply": {
                    "channel": {"$ref": "#/channels/ioWebhook"},
                    "messages": [{"$ref": "#/channels/ioWebhook/messages/challengeReply"}],
                },
            },
            "sendValidationUrl": _post(
                "ioWebhook",
                ["validationUrl"],
                "Offer asynchronous validation",
                "Sent when the challenge GET was not echoed.",
            ),
        },
        "components": {
            "schemas": {"legacyHeaders": legacy_headers(), "ioHeaders": io_headers()},
            "messages": _messages(),
            "messageTraits": {
                "ioDelivery": {"headers": {"$ref": "#/components/schemas/ioHeaders"}}
            },
            "securitySchemes": {
                "oauthClientCredentials": {
                    "type": "oauth2",
                    "description": "auth type oauth: the producer gets a token from the "
                    "consumer's identity provider (client credentials) and sends it as "
                    "`Authorization: Bearer <token>`.",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "https://idp.example.com/oauth/token",
                            "availableScopes": {},
                        }
                    },
                    "scopes": [],
                },
                "staticToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "auth type token: a static API token in the Authorization "
                    "header (`Bearer <token>` by default; header and scheme are configurable).",
                },
            },
        },
    }
