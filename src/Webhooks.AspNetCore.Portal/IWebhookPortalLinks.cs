using System.Diagnostics.CodeAnalysis;

namespace Webhooks.AspNetCore.Portal;

/// <summary>
/// Creates and revokes access links to the webhooks portal, for apps whose customers have no login
/// of their own there (Svix's "magic links", Convoy's portal links). A link carries a token
/// protected with ASP.NET Core Data Protection (purpose <c>Webhooks.AspNetCore.Portal.AccessLink.v1</c>)
/// that names the owner, whether the link is read-only and when it expires; opening it starts a
/// session scoped to that owner alone, which ends when the link expires or is revoked. Every
/// instance of the app must share the Data Protection key ring. Registered by
/// <c>services.AddWebhooks().AddPortal()</c>; a singleton, safe to use concurrently.
/// </summary>
public interface IWebhookPortalLinks
{
    /// <summary>Creates an access link to the portal for <paramref name="owner"/>.</summary>
    /// <param name="owner">The owner whose webhooks the link opens: the same id the app publishes events for.</param>
    /// <param name="lifetime">How long the link works; <see cref="WebhookPortalOptions.DefaultLinkLifetime"/> (1 hour) when omitted, at most <see cref="WebhookPortalOptions.MaxLinkLifetime"/> (7 days).</param>
    /// <param name="readOnly">Whether the link only shows: every change is hidden in the page and refused by the server.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The link. Its <see cref="WebhookPortalLink.Url"/> is a bearer credential until it expires: send it only to the owner.</returns>
    /// <exception cref="ArgumentException"><paramref name="owner"/> is empty or whitespace.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is not positive or is longer than <see cref="WebhookPortalOptions.MaxLinkLifetime"/>.</exception>
    /// <exception cref="InvalidOperationException">The portal is not mapped (<c>MapWebhooksPortal()</c>), or the link is created outside a request and <see cref="WebhookPortalOptions.PublicBaseUrl"/> is not set.</exception>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "readOnly reads best at the call site (readOnly: true); a VB implementer can still implement it.")]
    ValueTask<WebhookPortalLink> CreateAsync(string owner, TimeSpan? lifetime = null, bool readOnly = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes every access link created for <paramref name="owner"/> until now, and ends the sessions
    /// they started (at their next request). Links created afterwards work. Revocations are kept in
    /// the app's <c>IDistributedCache</c> for <see cref="WebhookPortalOptions.MaxLinkLifetime"/>: register a shared,
    /// durable one (Redis, SQL Server, ...) when several instances serve the portal or revocations
    /// must survive a restart. Safe to call several times.
    /// </summary>
    /// <param name="owner">The owner whose links are revoked.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the revocation is stored.</returns>
    /// <exception cref="ArgumentException"><paramref name="owner"/> is empty or whitespace.</exception>
    ValueTask RevokeAsync(string owner, CancellationToken cancellationToken = default);
}
