using System.Security.Claims;
using Webhooks.AspNetCore.Portal.Links;

namespace Webhooks.AspNetCore.Portal.Sessions;

/// <summary>
/// An access-link session, validated for this request. Set as a request feature only by the
/// portal's authorization step, and only on the portal's and the management endpoints; the owner
/// resolver trusts it from there (never a claim a principal could carry from elsewhere).
/// </summary>
internal sealed class WebhookPortalSession
{
    /// <summary>The authentication type of the principal a session signs in as.</summary>
    public const string AuthenticationType = "WebhooksPortalLink";

    /// <summary>Claim saying the session is read-only (<c>true</c>/<c>false</c>).</summary>
    public const string ReadOnlyClaim = "webhooks:portal:read-only";

    public WebhookPortalSession(WebhookPortalGrant grant)
    {
        Grant = grant;
        Principal = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, grant.Owner),
                new Claim(ClaimTypes.Name, grant.Owner),
                new Claim(ReadOnlyClaim, grant.ReadOnly ? "true" : "false"),
            ],
            AuthenticationType));
    }

    public WebhookPortalGrant Grant { get; }

    public ClaimsPrincipal Principal { get; }
}

/// <summary>The outcome of reading the session cookie.</summary>
/// <param name="Status">Valid, or why not (no cookie reads as <see cref="WebhookPortalGrantStatus.Invalid"/> with <paramref name="HadCookie"/> false).</param>
/// <param name="Session">The session when valid.</param>
/// <param name="HadCookie">Whether the request carried a session cookie at all.</param>
internal sealed record WebhookPortalSessionRead(WebhookPortalGrantStatus Status, WebhookPortalSession? Session, bool HadCookie);
