namespace Webhooks.Core.Subscriptions;

/// <summary>What a caller asks for when creating a subscription; validated by <see cref="WebhookSubscriptionManager.CreateAsync"/>.</summary>
public sealed record WebhookSubscriptionDefinition
{
    /// <summary>A name unique among the owner's subscriptions (1 to 200 characters).</summary>
    public required string Name { get; init; }

    /// <summary>The absolute https URL (http when <see cref="WebhookOptions.AllowHttp"/>), at most 2048 characters.</summary>
    public required string Url { get; init; }

    /// <summary>Event type names or patterns (<c>*</c>, <c>order.*</c>): at least one, no duplicates, each known.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Free text, at most 1024 characters.</summary>
    public string? Description { get; init; }

    /// <summary>How deliveries authenticate to the receiver; none by default.</summary>
    public WebhookAuth? Auth { get; init; }

    /// <summary>Extra request headers (at most 20); they cannot override signature, auth or transport headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The app's own key-value data (at most 50 entries).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Attribute filter: key to allowed values (see <see cref="WebhookSubscription.Filter"/>); at most 10 keys of at most 50 values.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>Whether deliveries start at once; <see langword="true"/> by default.</summary>
    public bool Active { get; init; } = true;

    /// <summary>A secret to use instead of a generated one (<c>whsec_</c> + base64 of 24 to 64 bytes).</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme; <see langword="null"/> for <see cref="WebhookOptions.DefaultSignatureScheme"/>.</summary>
    public string? SignatureScheme { get; init; }
}

/// <summary>A partial update: <see langword="null"/> members stay as they are.</summary>
public sealed record WebhookSubscriptionPatch
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new URL.</summary>
    public string? Url { get; init; }

    /// <summary>A new event list (replaces the old one).</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>A new description (empty string clears it).</summary>
    public string? Description { get; init; }

    /// <summary>New auth (<see cref="WebhookAuth.None"/> removes it).</summary>
    public WebhookAuth? Auth { get; init; }

    /// <summary>New headers (replace the old ones; empty removes them).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>New metadata (replaces the old).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>A new attribute filter (replaces the old; empty removes it).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>Enable or disable.</summary>
    public bool? Active { get; init; }

    /// <summary>A new signature scheme.</summary>
    public string? SignatureScheme { get; init; }
}

/// <summary>A subscription together with its secret in full: returned only by create and rotate.</summary>
/// <param name="Subscription">The stored subscription (secrets in full).</param>
/// <param name="Secret">The current secret; show it to the user once.</param>
public sealed record WebhookSubscriptionWithSecret(WebhookSubscription Subscription, string Secret);
