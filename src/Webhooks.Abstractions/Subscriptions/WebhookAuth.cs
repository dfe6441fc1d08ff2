namespace Webhooks.Abstractions.Subscriptions;

/// <summary>How deliveries authenticate to the receiver. Values are at most 255 ASCII bytes; <see cref="ToString"/> masks them.</summary>
public sealed record WebhookAuth
{
    /// <summary>Longest auth value accepted, in bytes.</summary>
    public const int MaxValueBytes = 255;

    /// <summary>No authentication.</summary>
    public static WebhookAuth None { get; } = new();

    /// <summary>The kind.</summary>
    public WebhookAuthKind Kind { get; init; }

    /// <summary>Basic: the user name.</summary>
    public string? Username { get; init; }

    /// <summary>Basic: the password; Bearer: the token; ApiKey: the key. Stores receive it protected.</summary>
    public string? Secret { get; init; }

    /// <summary>ApiKey: the header name.</summary>
    public string? HeaderName { get; init; }

    /// <summary>Basic authentication.</summary>
    /// <param name="username">The user name (no ':').</param>
    /// <param name="password">The password.</param>
    /// <returns>The auth.</returns>
    public static WebhookAuth Basic(string username, string password) => new() { Kind = WebhookAuthKind.Basic, Username = username, Secret = password };

    /// <summary>Bearer token authentication.</summary>
    /// <param name="token">The token.</param>
    /// <returns>The auth.</returns>
    public static WebhookAuth Bearer(string token) => new() { Kind = WebhookAuthKind.Bearer, Secret = token };

    /// <summary>API key in a named header.</summary>
    /// <param name="headerName">The header name, such as <c>X-Api-Key</c>.</param>
    /// <param name="key">The key.</param>
    /// <returns>The auth.</returns>
    public static WebhookAuth ApiKey(string headerName, string key) => new() { Kind = WebhookAuthKind.ApiKey, HeaderName = headerName, Secret = key };

    /// <summary>A copy with values masked, safe to show.</summary>
    /// <returns>The masked auth.</returns>
    public WebhookAuth Masked() => Kind == WebhookAuthKind.None ? this : this with { Secret = Secret is null ? null : "****" };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        WebhookAuthKind.None => "None",
        WebhookAuthKind.Basic => $"Basic({Username}:****)",
        WebhookAuthKind.ApiKey => $"ApiKey({HeaderName}: ****)",
        _ => $"{Kind}(****)",
    };
}
