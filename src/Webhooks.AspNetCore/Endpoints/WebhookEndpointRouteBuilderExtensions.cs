using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Endpoints;
using Webhooks.AspNetCore.Models;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the webhook management endpoints.</summary>
public static class WebhookEndpointRouteBuilderExtensions
{
    /// <summary>The OpenAPI tag of every management endpoint.</summary>
    public const string Tag = "Webhooks";

    /// <summary>
    /// Maps the management endpoints under <paramref name="prefix"/>: the event catalog, the
    /// caller's subscriptions (list, create, read, update, delete, enable, disable, rotate secret),
    /// test sends, and, as far as the registered delivery store supports them, the delivery log
    /// (owner-wide and per subscription), redelivery, recovery and stats. A route whose store
    /// capability is missing (<see cref="WebhookDeliveryManager.SupportsLog"/>,
    /// <see cref="WebhookDeliveryManager.SupportsRedelivery"/>, <see cref="WebhookDeliveryManager.SupportsStatistics"/>)
    /// is not mapped and not in the OpenAPI document. Every endpoint requires an authenticated caller
    /// (chain <c>AllowAnonymous()</c> to opt out, or <c>RequireAuthorization("policy")</c> to demand
    /// more) and acts only on the data of the owner that
    /// <see cref="Webhooks.AspNetCore.Owners.IWebhookOwnerResolver"/> resolves: another owner's
    /// subscription or delivery answers 404, as an unknown id does. Errors are ProblemDetails. Needs
    /// <c>services.AddWebhooks().AddEndpoints()</c>. Map it once per app (endpoint names are unique).
    /// </summary>
    /// <param name="endpoints">The app, or a route group of it.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <returns>A builder for conventions on every endpoint: authorization, rate limiting, tags, CORS.</returns>
    /// <exception cref="InvalidOperationException"><c>services.AddWebhooks().AddEndpoints()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapWebhooks(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/webhooks")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var services = endpoints.ServiceProvider;
        if (services.GetService<WebhookSubscriptionManager>() is null || services.GetService<WebhookEndpointsMarker>() is null)
        {
            throw new InvalidOperationException("MapWebhooks() needs the webhook services: call builder.Services.AddWebhooks().AddEndpoints() (and register your event types) before building the app.");
        }

        var deliveries = services.GetRequiredService<WebhookDeliveryManager>();
        var group = endpoints.MapGroup(prefix);
        group.RequireAuthorization();
        group.WithTags(Tag);
        group.WithMetadata(WebhookApiEndpointMetadata.Instance);
        group.AddEndpointFilter(new WebhookEndpointFilter());

        // Outcomes the filter and the authorization middleware add to every endpoint; each handler's
        // Results<...> type declares its own.
        group.ProducesProblem(StatusCodes.Status401Unauthorized);
        group.ProducesProblem(StatusCodes.Status403Forbidden);

        MapSubscriptions(group);
        if (deliveries.SupportsLog)
        {
            MapLog(group);
        }
        else
        {
            Unavailable(group, "/deliveries", "a delivery log (IWebhookDeliveryLog)");
        }

        if (deliveries.SupportsRedelivery)
        {
            MapRedelivery(group);
        }

        if (deliveries.SupportsStatistics)
        {
            MapStatistics(group);
        }
        else
        {
            Unavailable(group, "/stats", "statistics (IWebhookDeliveryStatistics)");
        }

        return group;
    }

    private static void MapSubscriptions(RouteGroupBuilder group)
    {
        group.MapGet("/event-types", WebhookEndpointHandlers.ListEventTypes)
            .WithMetadata(WebhookOwnerNotRequiredMetadata.Instance)
            .WithName("ListWebhookEventTypes")
            .WithSummary("List the event types")
            .WithDescription("The catalog of event types subscriptions can list, grouped by resource, with descriptions, versions and payload schemas.");

        group.MapGet("/", WebhookEndpointHandlers.ListSubscriptions)
            .WithName("ListWebhookSubscriptions")
            .WithSummary("List subscriptions")
            .WithDescription($"The caller's subscriptions, oldest first, a page at a time (limit 1-{WebhookPaging.MaxLimit}, default {WebhookPaging.DefaultLimit}; pass nextCursor as cursor for the next page). Filter by event (an exact event name or pattern listed) and active. Secrets and auth values are masked.");

        group.MapPost("/", WebhookEndpointHandlers.CreateSubscription)
            .WithName("CreateWebhookSubscription")
            .WithSummary("Create a subscription")
            .WithDescription("Creates a subscription and answers 201 with it and its signing secret in full: the only time the secret is shown, so store it now. Location names the new subscription; ETag is its version.")
            .Accepts<WebhookSubscriptionCreateRequest>("application/json")
            .ProducesBodyProblems();

        group.MapPost("/test", WebhookEndpointHandlers.TestUrl)
            .WithName("TestWebhookUrl")
            .WithSummary("Send a test event to an unsaved URL")
            .WithDescription("Sends a webhook.test event now to a URL and auth that are not saved yet (test before saving), and answers with what happened: status code, duration, response excerpt, error. The URL, auth and headers are validated as for a subscription.")
            .Accepts<WebhookTestRequest>("application/json")
            .ProducesBodyProblems();

        group.MapGet("/{id}", WebhookEndpointHandlers.GetSubscription)
            .WithName("GetWebhookSubscription")
            .WithSummary("Get a subscription")
            .WithDescription("One of the caller's subscriptions, with its secret masked (whsec_… and the last four characters) and auth values masked. ETag is its version, for If-Match.");

        MapUpdate(group.MapPut("/{id}", WebhookEndpointHandlers.UpdateSubscription).WithName("UpdateWebhookSubscription"));
        MapUpdate(group.MapPatch("/{id}", WebhookEndpointHandlers.UpdateSubscription).WithName("PatchWebhookSubscription"));

        group.MapDelete("/{id}", WebhookEndpointHandlers.DeleteSubscription)
            .WithName("DeleteWebhookSubscription")
            .WithSummary("Delete a subscription")
            .WithDescription("Deletes the subscription; its pending deliveries fail without being sent. Honours If-Match: the version is checked and the subscription deleted in one step, so a change made since the caller read it answers 412.");

        group.MapPost("/{id}/enable", WebhookEndpointHandlers.EnableSubscription)
            .WithName("EnableWebhookSubscription")
            .WithSummary("Enable a subscription")
            .WithDescription("Turns deliveries on; clears an automatic disable (410 Gone, sustained failure) and the failure history. Honours If-Match.");

        group.MapPost("/{id}/disable", WebhookEndpointHandlers.DisableSubscription)
            .WithName("DisableWebhookSubscription")
            .WithSummary("Disable a subscription")
            .WithDescription("Turns deliveries off without deleting the subscription; events published meanwhile are not delivered to it. Honours If-Match.");

        group.MapPost("/{id}/rotate-secret", WebhookEndpointHandlers.RotateSecret)
            .WithName("RotateWebhookSecret")
            .WithSummary("Rotate the signing secret")
            .WithDescription("Replaces the secret with a new one (generated, or the one in the body) and answers with it in full, the only time it is shown. The old secret keeps signing, alongside, for the configured grace period (WebhookOptions.SecretRotationGracePeriod).")
            .Accepts<WebhookRotateSecretRequest>(isOptional: true, "application/json")
            .ProducesBodyProblems();

        group.MapPost("/{id}/test", WebhookEndpointHandlers.TestSubscription)
            .WithName("TestWebhookSubscription")
            .WithSummary("Send a test event to a subscription")
            .WithDescription("Sends a webhook.test event now, signed and authenticated as real deliveries are, and answers with what happened: status code, duration, response excerpt, error. Not recorded in the delivery log.");
    }

    private static void MapLog(RouteGroupBuilder group)
    {
        group.MapGet("/deliveries", WebhookDeliveryEndpointHandlers.ListOwnerDeliveries)
            .WithName("ListAllWebhookDeliveries")
            .WithSummary("List the caller's deliveries")
            .WithDescription($"Every delivery to any of the caller's subscriptions (the \"View Logs\" page), newest first, a page at a time (limit 1-{WebhookPaging.MaxLimit}; cursor from nextCursor). Filter by status (pending, succeeded or failed), eventType and subscription.");

        group.MapGet("/deliveries/{deliveryId}", WebhookDeliveryEndpointHandlers.GetOwnerDelivery)
            .WithName("GetWebhookDeliveryById")
            .WithSummary("Get one of the caller's deliveries")
            .WithDescription("One delivery to any of the caller's subscriptions, with every attempt: start, duration, status code, response excerpt, error.");

        group.MapGet("/{id}/deliveries", WebhookDeliveryEndpointHandlers.ListDeliveries)
            .WithName("ListWebhookDeliveries")
            .WithSummary("List deliveries")
            .WithDescription($"The subscription's delivery log, newest first, a page at a time (limit 1-{WebhookPaging.MaxLimit}; cursor from nextCursor). Filter by status (pending, succeeded or failed) and eventType.");

        group.MapGet("/{id}/deliveries/{deliveryId}", WebhookDeliveryEndpointHandlers.GetDelivery)
            .WithName("GetWebhookDelivery")
            .WithSummary("Get a delivery")
            .WithDescription("One delivery with every attempt: start, duration, status code, response excerpt, error.");
    }

    private static void MapRedelivery(RouteGroupBuilder group)
    {
        group.MapPost("/{id}/deliveries/{deliveryId}/redeliver", WebhookDeliveryEndpointHandlers.Redeliver)
            .WithName("RedeliverWebhookDelivery")
            .WithSummary("Send a delivery again")
            .WithDescription("Queues a finished (succeeded or failed) delivery to be sent again now; its earlier attempts are kept. Answers 202 with the delivery, 409 while it is still pending.");

        group.MapPost("/{id}/recover", WebhookDeliveryEndpointHandlers.Recover)
            .WithName("RecoverWebhookDeliveries")
            .WithSummary("Resend failed deliveries")
            .WithDescription("Queues every failed delivery of the subscription created since the given time to be sent again, for example after the receiver was down.")
            .Accepts<WebhookRecoverRequest>("application/json")
            .ProducesBodyProblems();
    }

    private static void MapStatistics(RouteGroupBuilder group)
    {
        const string Buckets = "window (default 24h, at most 31d) and bucket (whole minutes; default 1h, at least 1m, at most 1000 buckets), as 15m, 24h, 7d or hh:mm:ss.";
        group.MapGet("/stats", WebhookDeliveryEndpointHandlers.GetOwnerStats)
            .WithName("GetAllWebhookStats")
            .WithSummary("Get the caller's delivery statistics")
            .WithDescription("Succeeded and failed attempts per time bucket over a window ending now, across all the caller's subscriptions (or one, with subscription): " + Buckets);

        group.MapGet("/stats/subscriptions", WebhookDeliveryEndpointHandlers.GetStatsBySubscription)
            .WithName("GetWebhookStatsBySubscription")
            .WithSummary("Get delivery totals per subscription")
            .WithDescription($"Succeeded and failed attempts over a window ending now (window as for /stats, default 24h), one total per subscription in ids (comma-separated, at most {WebhookDeliveryEndpointHandlers.MaxStatsIds}): the counts of a table of webhooks in one request. Ids that are not the caller's are left out.");

        group.MapGet("/{id}/stats", WebhookDeliveryEndpointHandlers.GetStats)
            .WithName("GetWebhookStats")
            .WithSummary("Get delivery statistics")
            .WithDescription("Succeeded and failed attempts per time bucket over a window ending now: " + Buckets);
    }

    /// <summary>
    /// Answers 404 on an owner-wide route the store cannot serve. Without it the request would reach
    /// <c>GET {id}</c> and be refused as a malformed subscription id (400); it is left out of the
    /// OpenAPI document like the other routes of a missing capability.
    /// </summary>
    private static void Unavailable(RouteGroupBuilder group, string pattern, string capability) =>
        group.MapGet(pattern, () => WebhookProblems.NotFound($"This app's delivery store does not keep {capability}, so this route is not available."))
            .WithMetadata(WebhookOwnerNotRequiredMetadata.Instance)
            .ExcludeFromDescription();

    private static void MapUpdate(RouteHandlerBuilder endpoint) => endpoint
        .WithSummary("Update a subscription")
        .WithDescription("A partial update: omitted fields stay as they are (PUT and PATCH behave the same). Send the ETag you read in If-Match to fail with 412 instead of overwriting someone else's change.")
        .Accepts<WebhookSubscriptionUpdateRequest>("application/json")
        .ProducesBodyProblems();

    /// <summary>The request-body reader's answers (too large, not JSON), which no handler type declares.</summary>
    private static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}
