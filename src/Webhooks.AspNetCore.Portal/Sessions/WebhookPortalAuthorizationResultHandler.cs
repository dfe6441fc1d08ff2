using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Webhooks.AspNetCore.Portal.Endpoints;
using Webhooks.AspNetCore.Portal.Links;

namespace Webhooks.AspNetCore.Portal.Sessions;

/// <summary>
/// Lets an access-link session through on the portal and the management endpoints, and nowhere else.
/// Runs where the authorization middleware hands over its decision, so the app's own authentication
/// and policies stay untouched for everyone else: a request carrying a valid session cookie is
/// served as the link's owner (creating the link was the app's authorization decision, so the app's
/// policies on these endpoints, such as a role, do not apply to it); mutations are refused for a
/// read-only link and need the page's anti-forgery token. Any other request gets the app's own
/// decision (the wrapped handler), and a page request that is refused gets a page that says why.
/// A change the app's own sign-in admits needs the anti-forgery token too when that sign-in is a
/// cookie (a scheme whose handler is, or derives from, <see cref="CookieAuthenticationHandler"/>:
/// cookie authentication, ASP.NET Core Identity), since the browser sends a cookie on a request
/// another page forges; callers that send their credential themselves (bearer, API key) are not
/// asked for one.
/// </summary>
internal sealed class WebhookPortalAuthorizationResultHandler(
    IAuthorizationMiddlewareResultHandler inner,
    WebhookPortalSessions sessions,
    WebhookPortalPaths paths,
    WebhookPortalPages pages,
    IAntiforgery antiforgery,
    IEnumerable<IAuthenticationSchemeProvider> schemeProviders) : IAuthorizationMiddlewareResultHandler
{
    /// <summary>The app's authentication schemes; none when the app registered no authentication.</summary>
    private readonly IAuthenticationSchemeProvider? _schemes = schemeProviders.LastOrDefault();

    /// <summary>The handler this one wraps, for diagnostics and tests.</summary>
    public IAuthorizationMiddlewareResultHandler Inner => inner;

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var endpoint = context.GetEndpoint();
        var kind = paths.Classify(endpoint);
        if (kind == WebhookPortalEndpointKind.None)
        {
            await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            return;
        }

        var read = await sessions.ReadAsync(context).ConfigureAwait(false);
        if (read.Session is { } session)
        {
            context.User = session.Principal;
            context.Features.Set(session);
            // Opening another link replaces this session: its token is the credential, as without one.
            if (!IsSafe(context.Request.Method) && endpoint!.Metadata.GetMetadata<WebhookPortalNoAntiforgeryMetadata>() is null)
            {
                if (session.Grant.ReadOnly && endpoint!.Metadata.GetMetadata<WebhookPortalReadOnlyAllowedMetadata>() is null)
                {
                    await WebhookPortalProblems.ReadOnly().ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }

                if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
                {
                    await WebhookPortalProblems.Antiforgery().ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        var isPage = endpoint!.Metadata.GetMetadata<WebhookPortalPageMetadata>() is not null;
        if (read.HadCookie)
        {
            sessions.End(context);
            if (!authorizeResult.Succeeded)
            {
                // The person learns why instead of a bare 401: the link expired or was revoked.
                var why = read.Status switch
                {
                    WebhookPortalGrantStatus.Expired => "Your access link has expired. Ask for a new link.",
                    WebhookPortalGrantStatus.Revoked => "Your access link was revoked. Ask for a new link.",
                    _ => "Your session is no longer valid. Open your access link again, or ask for a new one.",
                };
                if (isPage)
                {
                    await pages.WriteMessageAsync(context, StatusCodes.Status401Unauthorized, "Your session has ended", why).ConfigureAwait(false);
                }
                else
                {
                    await WebhookPortalProblems.SessionEnded(why).ExecuteAsync(context).ConfigureAwait(false);
                }

                return;
            }
        }

        if (authorizeResult.Succeeded
            && !IsSafe(context.Request.Method)
            && endpoint.Metadata.GetMetadata<WebhookPortalNoAntiforgeryMetadata>() is null
            && await IsCookieAuthenticatedAsync(context).ConfigureAwait(false)
            && !await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            await WebhookPortalProblems.Antiforgery().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);

        // The app's challenge for an API answers a bare 401 (a sign-in redirect is left alone): a person gets a page that says what to do.
        if (isPage && !context.Response.HasStarted && string.IsNullOrEmpty(context.Response.Headers.Location))
        {
            if (context.Response.StatusCode == StatusCodes.Status401Unauthorized)
            {
                await pages.WriteMessageAsync(context, StatusCodes.Status401Unauthorized, "Sign in to manage your webhooks", "Sign in to this site first, or open the access link you were given.").ConfigureAwait(false);
            }
            else if (context.Response.StatusCode == StatusCodes.Status403Forbidden)
            {
                await pages.WriteMessageAsync(context, StatusCodes.Status403Forbidden, "You cannot manage webhooks here", "Your account is signed in but is not allowed to manage webhooks on this site. Ask an administrator for access.").ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Whether the request was signed in by a cookie: the schemes that authenticated it (the default
    /// scheme's, or the endpoint policy's, joined with ';' when several) include a cookie handler.
    /// </summary>
    private async Task<bool> IsCookieAuthenticatedAsync(HttpContext context)
    {
        if (_schemes is not { } schemes
            || context.User.Identity?.IsAuthenticated != true
            || context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult is not { Succeeded: true, Ticket: { } ticket })
        {
            return false;
        }

        foreach (var name in ticket.AuthenticationScheme.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var scheme = await schemes.GetSchemeAsync(name).ConfigureAwait(false);
            if (scheme is not null && typeof(CookieAuthenticationHandler).IsAssignableFrom(scheme.HandlerType))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
}
