namespace Webhooks.Abstractions.Subscriptions;

/// <summary>The ways a delivery can authenticate to its receiver (seed 001's options).</summary>
public enum WebhookAuthKind
{
    /// <summary>No authentication header (the signature still proves origin).</summary>
    None,

    /// <summary><c>Authorization: Basic base64(username:password)</c>.</summary>
    Basic,

    /// <summary><c>Authorization: Bearer token</c>.</summary>
    Bearer,

    /// <summary>A named header carrying a key, such as <c>X-Api-Key: …</c>.</summary>
    ApiKey,
}
