namespace Webhooks.AspNetCore.Models;

/// <summary>The body of <c>POST /webhooks/test</c>: an unsaved destination to send a <c>webhook.test</c> event to.</summary>
public sealed class WebhookTestRequest
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
