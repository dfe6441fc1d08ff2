namespace Webhooks.Core.Subscriptions;

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

    /// <summary>A new payload filter as JSON text (replaces the old; an empty string or <c>{}</c> removes it). See <see cref="WebhookSubscriptionDefinition.PayloadFilter"/>.</summary>
    public string? PayloadFilter { get; init; }

    /// <summary>A new rate limit in deliveries per second (1 to 10,000); 0 removes the limit. See <see cref="WebhookSubscriptionDefinition.RateLimit"/>.</summary>
    public int? RateLimit { get; init; }

    /// <summary>Turn ordered delivery on or off. See <see cref="WebhookSubscriptionDefinition.Ordered"/>.</summary>
    public bool? Ordered { get; init; }

    /// <summary>Enable or disable.</summary>
    public bool? Active { get; init; }

    /// <summary>A new signature scheme.</summary>
    public string? SignatureScheme { get; init; }
}
