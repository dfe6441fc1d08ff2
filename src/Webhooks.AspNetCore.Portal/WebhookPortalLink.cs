using System.Globalization;

namespace Webhooks.AspNetCore.Portal;

/// <summary>An access link to the webhooks portal, made by <see cref="IWebhookPortalLinks.CreateAsync"/>.</summary>
public sealed class WebhookPortalLink
{
    internal WebhookPortalLink(Uri url, string owner, bool readOnly, DateTimeOffset expiresAt)
    {
        Url = url;
        Owner = owner;
        ReadOnly = readOnly;
        ExpiresAt = expiresAt;
    }

    /// <summary>
    /// The link to give the owner. The token is in the fragment (after <c>#</c>), so it never reaches
    /// server or proxy logs; the page exchanges it for a session cookie and removes it from the
    /// address bar. Anyone holding it can open the portal as the owner until it expires or is revoked.
    /// </summary>
    public Uri Url { get; }

    /// <summary>The owner whose webhooks the link opens.</summary>
    public string Owner { get; }

    /// <summary>Whether the link only shows (every change is refused).</summary>
    public bool ReadOnly { get; }

    /// <summary>When the link, and any session it started, stops working.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Describes the link without its token, so logging it leaks nothing.</summary>
    /// <returns>The owner, the access and the expiry.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Webhooks portal link for '{Owner}' ({(ReadOnly ? "read-only" : "read-write")}), expires {ExpiresAt:u}");
}
