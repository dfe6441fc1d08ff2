using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Portal.Links;
using Webhooks.AspNetCore.Portal.Sessions;
using Webhooks.Core;
using Webhooks.Core.Delivery;
using Webhooks.Core.Signing;

namespace Webhooks.AspNetCore.Portal.Endpoints;

/// <summary>The portal's own endpoints: its pages, its files, and starting, describing and ending a session.</summary>
internal static class WebhookPortalHandlers
{
    /// <summary>Bodies of <c>POST {portal}/access</c> are a token in JSON: a few hundred bytes.</summary>
    private const int MaxAccessBody = 16 * 1024;

    public static Task Page(HttpContext context, [FromServices] WebhookPortalPages pages, [FromServices] WebhookPortalPaths paths) =>
        pages.WritePageAsync(context, "index.html", StatusCodes.Status200OK, Base(context, paths));

    public static Task AccessPage(HttpContext context, [FromServices] WebhookPortalPages pages, [FromServices] WebhookPortalPaths paths) =>
        pages.WritePageAsync(context, "access.html", StatusCodes.Status200OK, Base(context, paths));

    public static Task Asset(HttpContext context, string path)
    {
        // Templates are pages, not files: they are only ever served filled in.
        if (path.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || !WebhookPortalPages.TryGetAsset(path, out var asset))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return WebhookPortalPages.WriteAssetAsync(context, asset);
    }

    /// <summary>
    /// Exchanges an access link's token for a session cookie. The token travels in a JSON body,
    /// never in a URL the server logs; a cross-site form cannot send JSON, and the cookie is
    /// SameSite=Strict, so another site cannot start a session in the person's browser.
    /// </summary>
    public static async Task<IResult> StartSession(
        HttpContext context,
        [FromServices] WebhookPortalLinks links,
        [FromServices] WebhookPortalSessions sessions,
        [FromServices] WebhookPortalPaths paths)
    {
        NoStore(context.Response);
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return WebhookPortalProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type.", "Send {\"token\": \"...\"} as application/json.");
        }

        if (request.ContentLength > MaxAccessBody)
        {
            return WebhookPortalProblems.LinkInvalid();
        }

        WebhookPortalAccessRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync(WebhookPortalJsonContext.Default.WebhookPortalAccessRequest, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            sessions.LogRefused(WebhookPortalGrantStatus.Invalid, null);
            return WebhookPortalProblems.LinkInvalid();
        }

        var (status, grant) = await links.ValidateAsync(body?.Token, context.RequestAborted).ConfigureAwait(false);
        if (status != WebhookPortalGrantStatus.Valid)
        {
            sessions.LogRefused(status, grant);
        }

        switch (status)
        {
            case WebhookPortalGrantStatus.Expired:
                return WebhookPortalProblems.LinkExpired();
            case WebhookPortalGrantStatus.Revoked:
                return WebhookPortalProblems.LinkRevoked();
            case WebhookPortalGrantStatus.Valid:
                sessions.Start(context, grant!);
                return TypedResults.Json(new WebhookPortalAccessResponse { Location = paths.PortalBase(context) }, WebhookPortalJsonContext.Default.WebhookPortalAccessResponse);
            default:
                return WebhookPortalProblems.LinkInvalid();
        }
    }

    /// <summary>What the page needs to start, for an access-link session or the app's signed-in user alike.</summary>
    public static async Task<IResult> GetSession(
        HttpContext context,
        [FromServices] WebhookPortalPaths paths,
        [FromServices] IWebhookOwnerResolver owners,
        [FromServices] WebhookDeliveryManager deliveries,
        [FromServices] IAntiforgery antiforgery,
        [FromServices] IOptions<AntiforgeryOptions> antiforgeryOptions,
        [FromServices] IOptions<WebhookPortalOptions> options,
        [FromServices] IEnumerable<IWebhookSigner> signers,
        [FromServices] IOptions<WebhookOptions> webhookOptions)
    {
        NoStore(context.Response);
        var session = context.Features.Get<WebhookPortalSession>();
        var owner = session?.Grant.Owner ?? await owners.ResolveOwnerAsync(context, context.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrEmpty(owner))
        {
            return WebhookPortalProblems.Problem(StatusCodes.Status403Forbidden, "no-owner", "You have no webhooks to manage here.", "Your account is signed in, but the app does not say whose webhooks it manages (IWebhookOwnerResolver returned none).");
        }

        var api = paths.ManagementBase(context);
        if (api is null)
        {
            return WebhookPortalProblems.Problem(StatusCodes.Status500InternalServerError, "not-mapped", "The portal is not set up completely.", "The management endpoints are not mapped: the app must call app.MapWebhooks() as well as app.MapWebhooksPortal().");
        }

        var tokens = antiforgery.GetAndStoreTokens(context);
        return TypedResults.Json(
            new WebhookPortalSessionResponse
            {
                Title = options.Value.Title,
                Owner = owner,
                Kind = session is null ? "app" : "link",
                ReadOnly = session?.Grant.ReadOnly ?? false,
                ExpiresAt = session?.Grant.ExpiresAt,
                ApiBase = api,
                PortalBase = paths.PortalBase(context),
                Features = new WebhookPortalFeatures
                {
                    Log = deliveries.SupportsLog,
                    Redelivery = deliveries.SupportsRedelivery,
                    Statistics = deliveries.SupportsStatistics,
                },
                SignatureSchemes = [.. signers.Select(s => s.Scheme).Distinct(StringComparer.Ordinal)],
                DefaultSignatureScheme = webhookOptions.Value.DefaultSignatureScheme,
                Antiforgery = new WebhookPortalAntiforgery
                {
                    HeaderName = antiforgeryOptions.Value.HeaderName ?? "RequestVerificationToken",
                    Token = tokens.RequestToken ?? "",
                },
            },
            WebhookPortalJsonContext.Default.WebhookPortalSessionResponse);
    }

    /// <summary>Ends an access-link session (the app's own sign-in is the app's to end).</summary>
    public static IResult EndSession(HttpContext context, [FromServices] WebhookPortalSessions sessions)
    {
        NoStore(context.Response);
        sessions.End(context);
        return TypedResults.NoContent();
    }

    private static Dictionary<string, string> Base(HttpContext context, WebhookPortalPaths paths) =>
        new(StringComparer.Ordinal) { ["base"] = paths.PortalBase(context) };

    private static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
    }
}
