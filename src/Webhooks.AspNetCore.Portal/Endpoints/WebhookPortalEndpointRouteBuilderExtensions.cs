using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Portal.Endpoints;
using Webhooks.AspNetCore.Portal.Sessions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the webhooks portal.</summary>
public static class WebhookPortalEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the webhooks portal under <paramref name="prefix"/>: a page where the app's users manage
    /// their own webhooks through the <c>MapWebhooks()</c> endpoints (map those too). It inherits the
    /// app's authentication and authorization as those endpoints do: it requires an authenticated
    /// caller (chain <c>RequireAuthorization("policy")</c> to demand more) and shows the owner
    /// <see cref="IWebhookOwnerResolver"/> resolves. Access links
    /// (<see cref="Webhooks.AspNetCore.Portal.IWebhookPortalLinks"/>) open it without a login of the app: their
    /// session is accepted on the portal and the management endpoints only, for the link's owner
    /// only. A change that rides on a cookie (a link's session, or the app's own cookie sign-in) must
    /// carry the anti-forgery token the page sends, on these endpoints and the management endpoints
    /// alike; callers sending their own credential (a bearer token, an API key) are not asked for one.
    /// Needs <c>services.AddWebhooks().AddEndpoints().AddPortal()</c>. Map it once per app.
    /// </summary>
    /// <param name="endpoints">The app, or a route group of it.</param>
    /// <param name="prefix">The route prefix of the portal's page.</param>
    /// <returns>A builder for conventions on the portal's endpoints: authorization, rate limiting.</returns>
    /// <exception cref="InvalidOperationException"><c>AddPortal()</c> was not called, or another registration replaced what it registered.</exception>
    public static IEndpointConventionBuilder MapWebhooksPortal(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/webhooks/portal")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        CheckServices(endpoints.ServiceProvider);

        var group = endpoints.MapGroup(prefix);
        group.RequireAuthorization();
        group.WithMetadata(WebhookPortalEndpointMetadata.Instance);
        group.ExcludeFromDescription();

        group.MapGet("/", WebhookPortalHandlers.Page)
            .WithMetadata(WebhookPortalPageMetadata.Instance)
            .WithName(WebhookPortalEndpointNames.Page);

        // Opening a link: anyone may load the page and try a token; the token is the credential.
        group.MapGet("/access", WebhookPortalHandlers.AccessPage)
            .AllowAnonymous()
            .WithName(WebhookPortalEndpointNames.Access);
        group.MapPost("/access", WebhookPortalHandlers.StartSession)
            .AllowAnonymous()
            .WithMetadata(WebhookPortalNoAntiforgeryMetadata.Instance)
            .WithName(WebhookPortalEndpointNames.StartSession);

        group.MapGet("/session", WebhookPortalHandlers.GetSession)
            .WithName(WebhookPortalEndpointNames.Session);
        group.MapPost("/session/end", WebhookPortalHandlers.EndSession)
            .WithMetadata(WebhookPortalReadOnlyAllowedMetadata.Instance)
            .WithName(WebhookPortalEndpointNames.EndSession);

        // The files hold no data: the sign-in page of a signed-out person needs its stylesheet too.
        group.MapMethods("/assets/{**path}", [HttpMethods.Get, HttpMethods.Head], WebhookPortalHandlers.Asset)
            .AllowAnonymous()
            .WithName(WebhookPortalEndpointNames.Asset);
        return group;
    }

    private static void CheckServices(IServiceProvider services)
    {
        if (services.GetService<WebhookPortalMarker>() is null)
        {
            throw new InvalidOperationException("MapWebhooksPortal() needs the portal's services: call builder.Services.AddWebhooks().AddEndpoints().AddPortal() before building the app.");
        }

        if (services.GetService<IAuthorizationMiddlewareResultHandler>() is not WebhookPortalAuthorizationResultHandler)
        {
            throw new InvalidOperationException("An IAuthorizationMiddlewareResultHandler registered after AddPortal() replaced the portal's, so access links would not work: register yours before calling AddPortal(), which wraps it.");
        }

        using var scope = services.CreateScope();
        if (scope.ServiceProvider.GetService<IWebhookOwnerResolver>() is not WebhookPortalOwnerResolver)
        {
            throw new InvalidOperationException("An IWebhookOwnerResolver registered after AddPortal() replaced the portal's, so access links could not name their owner: call AddOwnerResolver<T>() before AddPortal(), which wraps it.");
        }
    }
}
