using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Endpoints;
using Webhooks.AspNetCore.Models;
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
    /// test sends, the delivery log, redelivery, recovery and stats. Every endpoint requires an
    /// authenticated caller (chain <c>AllowAnonymous()</c> to opt out, or
    /// <c>RequireAuthorization("policy")</c> to demand more) and acts only on the subscriptions of
    /// the owner that <see cref="Webhooks.AspNetCore.Owners.IWebhookOwnerResolver"/> resolves: another
    /// owner's subscription answers 404, as an unknown id does. Errors are ProblemDetails. Needs
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
        if (endpoints.ServiceProvider.GetService<WebhookSubscriptionManager>() is null || endpoints.ServiceProvider.GetService<WebhookEndpointsMarker>() is null)
        {
            throw new InvalidOperationException("MapWebhooks() needs the webhook services: call builder.Services.AddWebhooks().AddEndpoints() (and register your event types) before building the app.");
        }

        var group = endpoints.MapGroup(prefix);
        group.RequireAuthorization();
        group.WithTags(Tag);
        group.AddEndpointFilter(new WebhookEndpointFilter());
        group.ProducesProblem(StatusCodes.Status401Unauthorized);
        group.ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/event-types", WebhookEndpointHandlers.ListEventTypes)
            .WithMetadata(WebhookOwnerNotRequiredMetadata.Instance)
            .WithName("ListWebhookEventTypes")
            .WithSummary("List the event types")
            .WithDescription("The catalog of event types subscriptions can list, grouped by resource, with descriptions, versions and payload schemas.")
            .Produces<WebhookEventCatalogResponse>(StatusCodes.Status200OK);

        group.MapGet("/", WebhookEndpointHandlers.ListSubscriptions)
            .WithName("ListWebhookSubscriptions")
            .WithSummary("List subscriptions")
            .WithDescription("The caller's subscriptions, oldest first, a page at a time (limit 1-500, default 50; pass nextCursor as cursor for the next page). Filter by event (an exact event name or pattern listed) and active. Secrets and auth values are masked.")
            .Produces<WebhookSubscriptionPage>(StatusCodes.Status200OK)
            .ProducesValidationProblem();

        group.MapPost("/", WebhookEndpointHandlers.CreateSubscription)
            .WithName("CreateWebhookSubscription")
            .WithSummary("Create a subscription")
            .WithDescription("Creates a subscription and answers 201 with it and its signing secret in full: the only time the secret is shown, so store it now. Location names the new subscription; ETag is its version.")
            .Accepts<WebhookSubscriptionCreateRequest>("application/json")
            .Produces<WebhookSubscriptionResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/test", WebhookEndpointHandlers.TestUrl)
            .WithName("TestWebhookUrl")
            .WithSummary("Send a test event to an unsaved URL")
            .WithDescription("Sends a webhook.test event now to a URL and auth that are not saved yet (test before saving), and answers with what happened: status code, duration, response excerpt, error. The URL, auth and headers are validated as for a subscription.")
            .Accepts<WebhookTestRequest>("application/json")
            .Produces<WebhookTestResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapGet("/{id}", WebhookEndpointHandlers.GetSubscription)
            .WithName("GetWebhookSubscription")
            .WithSummary("Get a subscription")
            .WithDescription("One of the caller's subscriptions, with its secret masked (whsec_… and the last four characters) and auth values masked. ETag is its version, for If-Match.")
            .Produces<WebhookSubscriptionResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        MapUpdate(group.MapPut("/{id}", WebhookEndpointHandlers.UpdateSubscription).WithName("UpdateWebhookSubscription"));
        MapUpdate(group.MapPatch("/{id}", WebhookEndpointHandlers.UpdateSubscription).WithName("PatchWebhookSubscription"));

        group.MapDelete("/{id}", WebhookEndpointHandlers.DeleteSubscription)
            .WithName("DeleteWebhookSubscription")
            .WithSummary("Delete a subscription")
            .WithDescription("Deletes the subscription; its pending deliveries fail without being sent. Honours If-Match.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapPost("/{id}/enable", WebhookEndpointHandlers.EnableSubscription)
            .WithName("EnableWebhookSubscription")
            .WithSummary("Enable a subscription")
            .WithDescription("Turns deliveries on; clears an automatic disable (410 Gone, sustained failure). Honours If-Match.")
            .Produces<WebhookSubscriptionResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapPost("/{id}/disable", WebhookEndpointHandlers.DisableSubscription)
            .WithName("DisableWebhookSubscription")
            .WithSummary("Disable a subscription")
            .WithDescription("Turns deliveries off without deleting the subscription; events published meanwhile are not delivered to it. Honours If-Match.")
            .Produces<WebhookSubscriptionResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapPost("/{id}/rotate-secret", WebhookEndpointHandlers.RotateSecret)
            .WithName("RotateWebhookSecret")
            .WithSummary("Rotate the signing secret")
            .WithDescription("Replaces the secret with a new one (generated, or the one in the body) and answers with it in full, the only time it is shown. The old secret keeps signing, alongside, for the configured grace period (WebhookOptions.SecretRotationGracePeriod).")
            .Accepts<WebhookRotateSecretRequest>(isOptional: true, "application/json")
            .Produces<WebhookSubscriptionResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/{id}/test", WebhookEndpointHandlers.TestSubscription)
            .WithName("TestWebhookSubscription")
            .WithSummary("Send a test event to a subscription")
            .WithDescription("Sends a webhook.test event now, signed and authenticated as real deliveries are, and answers with what happened: status code, duration, response excerpt, error. Not recorded in the delivery log.")
            .Produces<WebhookTestResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/deliveries", WebhookEndpointHandlers.ListDeliveries)
            .WithName("ListWebhookDeliveries")
            .WithSummary("List deliveries")
            .WithDescription("The subscription's delivery log, newest first, a page at a time (limit 1-500; cursor from nextCursor). Filter by status: pending, succeeded or failed.")
            .Produces<WebhookDeliveryPage>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/deliveries/{deliveryId}", WebhookEndpointHandlers.GetDelivery)
            .WithName("GetWebhookDelivery")
            .WithSummary("Get a delivery")
            .WithDescription("One delivery with every attempt: start, duration, status code, response excerpt, error.")
            .Produces<WebhookDeliveryResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/deliveries/{deliveryId}/redeliver", WebhookEndpointHandlers.Redeliver)
            .WithName("RedeliverWebhookDelivery")
            .WithSummary("Send a delivery again")
            .WithDescription("Queues a finished (succeeded or failed) delivery to be sent again now; its earlier attempts are kept. Answers 202 with the delivery, 409 while it is still pending.")
            .Produces<WebhookDeliveryResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/{id}/recover", WebhookEndpointHandlers.Recover)
            .WithName("RecoverWebhookDeliveries")
            .WithSummary("Resend failed deliveries")
            .WithDescription("Queues every failed delivery of the subscription created since the given time to be sent again, for example after the receiver was down.")
            .Accepts<WebhookRecoverRequest>("application/json")
            .Produces<WebhookRecoverResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapGet("/{id}/stats", WebhookEndpointHandlers.GetStats)
            .WithName("GetWebhookStats")
            .WithSummary("Get delivery statistics")
            .WithDescription("Succeeded and failed attempts per time bucket over a window ending now: window (default 24h, at most 31d) and bucket (default 1h, at least 1m, at most 1000 buckets), as 15m, 24h, 7d or hh:mm:ss.")
            .Produces<WebhookStatsResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static void MapUpdate(RouteHandlerBuilder endpoint) => endpoint
        .WithSummary("Update a subscription")
        .WithDescription("A partial update: omitted fields stay as they are (PUT and PATCH behave the same). Send the ETag you read in If-Match to fail with 412 instead of overwriting someone else's change.")
        .Accepts<WebhookSubscriptionUpdateRequest>("application/json")
        .Produces<WebhookSubscriptionResponse>(StatusCodes.Status200OK)
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}
