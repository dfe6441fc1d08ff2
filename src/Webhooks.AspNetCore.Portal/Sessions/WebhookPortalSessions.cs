using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Portal.Endpoints;
using Webhooks.AspNetCore.Portal.Links;

namespace Webhooks.AspNetCore.Portal.Sessions;

/// <summary>
/// The access-link session cookie: HttpOnly, Secure, SameSite=Strict, scoped to the portal and the
/// management endpoints' path, expiring with the link. Its value is the link's grant protected
/// with the session purpose; it is checked on every request (expiry on the engine's clock, revocation).
/// </summary>
internal sealed partial class WebhookPortalSessions(
    WebhookPortalTokens tokens,
    WebhookPortalRevocations revocations,
    WebhookPortalPaths paths,
    IOptions<WebhookPortalOptions> options,
    TimeProvider time,
    ILogger<WebhookPortalSessions> logger)
{
    private static readonly object ReadKey = new();

    public async Task<WebhookPortalSessionRead> ReadAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(ReadKey, out var cached) && cached is WebhookPortalSessionRead read)
        {
            return read;
        }

        read = await ReadCookieAsync(context).ConfigureAwait(false);
        context.Items[ReadKey] = read;
        return read;
    }

    public void Start(HttpContext context, WebhookPortalGrant grant)
    {
        var cookie = Cookie(context);
        cookie.Expires = grant.ExpiresAt;
        context.Response.Cookies.Append(options.Value.CookieName, tokens.ProtectSession(grant), cookie);
        Log.Started(logger, grant.LinkId, grant.Owner, grant.ReadOnly, grant.ExpiresAt);
        context.Items[ReadKey] = new WebhookPortalSessionRead(WebhookPortalGrantStatus.Valid, new WebhookPortalSession(grant), HadCookie: true);
    }

    public void End(HttpContext context)
    {
        context.Response.Cookies.Delete(options.Value.CookieName, Cookie(context));
        context.Items[ReadKey] = new WebhookPortalSessionRead(WebhookPortalGrantStatus.Invalid, null, HadCookie: false);
    }

    private async Task<WebhookPortalSessionRead> ReadCookieAsync(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(options.Value.CookieName, out var value) || string.IsNullOrEmpty(value))
        {
            return new(WebhookPortalGrantStatus.Invalid, null, HadCookie: false);
        }

        var grant = tokens.UnprotectSession(value);
        if (grant is null)
        {
            return new(WebhookPortalGrantStatus.Invalid, null, HadCookie: true);
        }

        if (grant.ExpiresAt <= time.GetUtcNow())
        {
            Log.Ended(logger, grant.LinkId, grant.Owner, "expired");
            return new(WebhookPortalGrantStatus.Expired, null, HadCookie: true);
        }

        if (await revocations.IsRevokedAsync(grant, context.RequestAborted).ConfigureAwait(false))
        {
            Log.Ended(logger, grant.LinkId, grant.Owner, "revoked");
            return new(WebhookPortalGrantStatus.Revoked, null, HadCookie: true);
        }

        return new(WebhookPortalGrantStatus.Valid, new WebhookPortalSession(grant), HadCookie: true);
    }

    /// <summary>Logs a refused link: expired and revoked ones name the link and owner (an audit trail); unreadable ones could be anyone's noise.</summary>
    public void LogRefused(WebhookPortalGrantStatus status, WebhookPortalGrant? grant)
    {
        if (grant is null)
        {
            Log.LinkUnreadable(logger);
        }
        else
        {
            Log.LinkRefused(logger, grant.LinkId, grant.Owner, status == WebhookPortalGrantStatus.Expired ? "expired" : "revoked");
        }
    }

    private CookieOptions Cookie(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = options.Value.CookieSecurePolicy switch
        {
            CookieSecurePolicy.Always => true,
            CookieSecurePolicy.None => false,
            _ => context.Request.IsHttps,
        },
        Path = paths.CookiePath(context),
        IsEssential = true,
    };

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Webhooks portal session started from access link {LinkId} for owner {Owner} (read-only: {ReadOnly}), until {ExpiresAt}.")]
        public static partial void Started(ILogger logger, string linkId, string owner, bool readOnly, DateTimeOffset expiresAt);

        [LoggerMessage(11, LogLevel.Information, "Webhooks portal session of access link {LinkId} for owner {Owner} ended: the link {Reason}.")]
        public static partial void Ended(ILogger logger, string linkId, string owner, string reason);

        [LoggerMessage(12, LogLevel.Information, "Webhooks portal access link {LinkId} for owner {Owner} refused: {Reason}.")]
        public static partial void LinkRefused(ILogger logger, string linkId, string owner, string reason);

        [LoggerMessage(13, LogLevel.Debug, "Webhooks portal access link refused: the token is not readable (altered, truncated, or from another key ring).")]
        public static partial void LinkUnreadable(ILogger logger);
    }
}
