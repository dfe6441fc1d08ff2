namespace Webhooks.Core.Publishing;

/// <summary>An unsaved destination for a test send.</summary>
public sealed record WebhookTestTarget
{
    /// <summary>The URL to POST to.</summary>
    public required string Url { get; init; }

    /// <summary>How to authenticate.</summary>
    public WebhookAuth? Auth { get; init; }

    /// <summary>Extra headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The secret to sign with; a throwaway one when omitted.</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme.</summary>
    public string? SignatureScheme { get; init; }

    /// <summary>The name sent in <see cref="WebhookOptions.SubscriptionNameHeader"/>, if configured.</summary>
    public string? Name { get; init; }
}
