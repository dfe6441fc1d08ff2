using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Portal.Endpoints;

namespace Webhooks.AspNetCore.Portal.Links;

/// <summary>The default <see cref="IWebhookPortalLinks"/>: stateless tokens, revocations in the distributed cache.</summary>
internal sealed partial class WebhookPortalLinks(
    WebhookPortalTokens tokens,
    WebhookPortalRevocations revocations,
    IOptions<WebhookPortalOptions> options,
    TimeProvider time,
    LinkGenerator linkGenerator,
    IHttpContextAccessor httpContextAccessor,
    ILogger<WebhookPortalLinks> logger) : IWebhookPortalLinks
{
    public ValueTask<WebhookPortalLink> CreateAsync(string owner, TimeSpan? lifetime = null, bool readOnly = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var o = options.Value;
        var span = lifetime ?? o.DefaultLinkLifetime;
        if (span <= TimeSpan.Zero || span > o.MaxLinkLifetime)
        {
            throw new ArgumentOutOfRangeException(
                nameof(lifetime),
                span,
                $"An access link lives more than zero and at most {o.MaxLinkLifetime} (WebhookPortalOptions.MaxLinkLifetime; 7 days at most).");
        }

        var now = time.GetUtcNow();
        var grant = new WebhookPortalGrant(owner, readOnly, now, now + span, NewLinkId());
        var token = tokens.ProtectLink(grant);
        var url = new Uri(AccessPageUrl(o) + "#token=" + token, UriKind.Absolute);
        Log.LinkCreated(logger, grant.LinkId, owner, readOnly, grant.ExpiresAt);
        return ValueTask.FromResult(new WebhookPortalLink(url, owner, readOnly, grant.ExpiresAt));
    }

    public async ValueTask RevokeAsync(string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        await revocations.RevokeAsync(owner, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Log.LinksRevoked(logger, owner);
    }

    /// <summary>Checks a token from an opened link: readable, not expired, not revoked.</summary>
    public async Task<(WebhookPortalGrantStatus Status, WebhookPortalGrant? Grant)> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        var grant = tokens.UnprotectLink(token);
        if (grant is null)
        {
            return (WebhookPortalGrantStatus.Invalid, null);
        }

        if (grant.ExpiresAt <= time.GetUtcNow())
        {
            return (WebhookPortalGrantStatus.Expired, grant);
        }

        return await revocations.IsRevokedAsync(grant, cancellationToken).ConfigureAwait(false)
            ? (WebhookPortalGrantStatus.Revoked, grant)
            : (WebhookPortalGrantStatus.Valid, grant);
    }

    private string AccessPageUrl(WebhookPortalOptions o)
    {
        if (o.PublicBaseUrl is { } baseUrl)
        {
            var path = linkGenerator.GetPathByName(WebhookPortalEndpointNames.Access, values: null, pathBase: default)
                ?? throw NotMapped();
            return baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + path;
        }

        var context = httpContextAccessor.HttpContext
            ?? throw new InvalidOperationException("An access link is created outside a request, so its address is unknown: set WebhookPortalOptions.PublicBaseUrl (services.AddWebhooks().AddPortal(o => o.PublicBaseUrl = new Uri(\"https://app.example.com\"))).");
        return linkGenerator.GetUriByName(context, WebhookPortalEndpointNames.Access, values: null) ?? throw NotMapped();
    }

    private static InvalidOperationException NotMapped() =>
        new("The webhooks portal is not mapped: call app.MapWebhooksPortal() before creating access links.");

    private static string NewLinkId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(9));

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Webhooks portal access link {LinkId} created for owner {Owner} (read-only: {ReadOnly}), expires {ExpiresAt}.")]
        public static partial void LinkCreated(ILogger logger, string linkId, string owner, bool readOnly, DateTimeOffset expiresAt);

        [LoggerMessage(2, LogLevel.Information, "Webhooks portal access links of owner {Owner} revoked.")]
        public static partial void LinksRevoked(ILogger logger, string owner);
    }
}
