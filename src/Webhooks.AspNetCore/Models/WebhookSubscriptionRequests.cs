namespace Webhooks.AspNetCore.Models;

/// <summary>The body of <c>POST /webhooks</c>: a new subscription.</summary>
public sealed record WebhookSubscriptionCreateRequest
{
    /// <summary>A name unique among the owner's subscriptions (1 to 200 characters). Required.</summary>
    public string? Name { get; init; }

    /// <summary>The absolute https URL that receives the POSTs (at most 2048 characters). Required.</summary>
    public string? Url { get; init; }

    /// <summary>Event type names or patterns (<c>order.created</c>, <c>order.*</c>, <c>*</c>): at least one, no duplicates, each in the catalog. Required.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>Free text, at most 1024 characters.</summary>
    public string? Description { get; init; }

    /// <summary>How deliveries authenticate to the receiver; none when omitted.</summary>
    public WebhookAuthModel? Auth { get; init; }

    /// <summary>Extra request headers sent with every delivery (at most 20).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Your own key-value data, not sent to the receiver (at most 50 entries).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Narrows the events delivered by the attributes they are published with: for every key, the
    /// event's value must be one of those listed, such as <c>{"severity": ["error", "critical"]}</c>
    /// (at most 10 keys of 1 to 50 values).
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>Whether deliveries start at once; <see langword="true"/> when omitted.</summary>
    public bool? Active { get; init; }

    /// <summary>A signing secret to use (<c>whsec_</c> + base64 of 24 to 64 bytes); one is generated when omitted.</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme (<c>standard-webhooks</c> or <c>hmac-sha256</c>); the app's default when omitted.</summary>
    public string? SignatureScheme { get; init; }
}

/// <summary>
/// The body of <c>PUT</c> and <c>PATCH /webhooks/{id}</c>: a partial update. Omitted (or
/// <see langword="null"/>) fields stay as they are.
/// </summary>
public sealed record WebhookSubscriptionUpdateRequest
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new URL.</summary>
    public string? Url { get; init; }

    /// <summary>A new event list; replaces the old one.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>A new description; an empty string clears it.</summary>
    public string? Description { get; init; }

    /// <summary>New auth; <c>{"type":"none"}</c> removes it.</summary>
    public WebhookAuthModel? Auth { get; init; }

    /// <summary>New headers; replace the old ones (<c>{}</c> removes them).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>New metadata; replaces the old.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>A new attribute filter; replaces the old (<c>{}</c> removes it).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>Enable or disable; enabling clears an automatic disable.</summary>
    public bool? Active { get; init; }

    /// <summary>A new signature scheme.</summary>
    public string? SignatureScheme { get; init; }
}

/// <summary>The optional body of <c>POST /webhooks/{id}/rotate-secret</c>.</summary>
public sealed record WebhookRotateSecretRequest
{
    /// <summary>The new secret (<c>whsec_</c> + base64 of 24 to 64 bytes); one is generated when omitted.</summary>
    public string? Secret { get; init; }
}

/// <summary>The body of <c>POST /webhooks/test</c>: an unsaved destination to send a <c>webhook.test</c> event to.</summary>
public sealed record WebhookTestRequest
{
    /// <summary>The URL to POST to. Required.</summary>
    public string? Url { get; init; }

    /// <summary>How to authenticate.</summary>
    public WebhookAuthModel? Auth { get; init; }

    /// <summary>Extra request headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The secret to sign with; a throwaway one when omitted.</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme.</summary>
    public string? SignatureScheme { get; init; }

    /// <summary>The subscription name the receiver would see, where the app sends one in a header.</summary>
    public string? Name { get; init; }
}

/// <summary>The body of <c>POST /webhooks/{id}/recover</c>.</summary>
public sealed record WebhookRecoverRequest
{
    /// <summary>Requeue the failed deliveries created at or after this time (ISO 8601). Required.</summary>
    public DateTimeOffset? Since { get; init; }
}
