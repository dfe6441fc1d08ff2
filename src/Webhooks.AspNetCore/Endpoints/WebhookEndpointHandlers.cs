using System.ComponentModel;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Models;
using Webhooks.Core.Catalog;
using Webhooks.Core.Subscriptions;
using static Webhooks.AspNetCore.Endpoints.WebhookRequestParsing;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// The management endpoints' handlers: parse, call <see cref="WebhookSubscriptionManager"/>, map
/// the answer. Validation, owner scoping, masking and sending are the manager's; the filter maps
/// its exceptions to ProblemDetails. Responses are written with <see cref="WebhooksApiJsonContext"/>,
/// so their shape does not depend on the app's JSON settings.
/// </summary>
internal static class WebhookEndpointHandlers
{
    private const string LimitDescription = "Most items per page, 1 to 500; the default is 50 (WebhookEndpointOptions.DefaultPageSize).";
    private const string CursorDescription = "The nextCursor of the previous page, unchanged; omit for the first page.";

    private static readonly TimeSpan DefaultStatsWindow = TimeSpan.FromHours(24);
    private static readonly TimeSpan DefaultStatsBucket = TimeSpan.FromHours(1);

    // Responses are application/json, never embedded in HTML, so '+' in a secret or '…' in a
    // masked one need no escaping: keep them readable.
    private static readonly WebhooksApiJsonContext Json = new(new JsonSerializerOptions(WebhooksApiJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static JsonHttpResult<WebhookEventCatalogResponse> ListEventTypes(IWebhookEventCatalog catalog) =>
        TypedResults.Json(WebhookApiMapper.ToCatalog(catalog), Json.WebhookEventCatalogResponse);

    public static async Task<JsonHttpResult<WebhookSubscriptionPage>> ListSubscriptions(
        HttpContext context,
        WebhookSubscriptionManager manager,
        [Description(LimitDescription)] string? limit,
        [Description(CursorDescription)] string? cursor,
        [Description("Only subscriptions listing exactly this event type or pattern, such as order.created or order.*.")] string? @event,
        [Description("Only active (true) or inactive (false) subscriptions.")] string? active)
    {
        var page = await manager.ListAsync(
            Owner(context),
            Limit(limit, Options(context).DefaultPageSize),
            DecodeSubscriptionCursor(cursor),
            EventFilter(@event),
            Active(active),
            context.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(
            new WebhookSubscriptionPage
            {
                Items = [.. page.Items.Select(s => WebhookApiMapper.ToResponse(s))],
                NextCursor = EncodeSubscriptionCursor(page.NextCursor),
            },
            Json.WebhookSubscriptionPage);
    }

    public static async Task<JsonHttpResult<WebhookSubscriptionResponse>> CreateSubscription(HttpContext context, WebhookSubscriptionManager manager)
    {
        var body = await ReadBodyAsync(context, Json.WebhookSubscriptionCreateRequest).ConfigureAwait(false);
        var created = await manager.CreateAsync(Owner(context), WebhookApiMapper.ToDefinition(body), context.RequestAborted).ConfigureAwait(false);
        var s = created.Subscription;
        var headers = context.Response.Headers;
        headers.Location = $"{context.Request.PathBase}{context.Request.Path.Value?.TrimEnd('/')}/{s.Id}";
        headers.ETag = ETag(s.Version);
        return TypedResults.Json(WebhookApiMapper.ToResponse(s, created.Secret), Json.WebhookSubscriptionResponse, statusCode: StatusCodes.Status201Created);
    }

    public static async Task<Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult>> GetSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var s = await manager.GetAsync(Owner(context), id, context.RequestAborted).ConfigureAwait(false);
        return Subscription(context, s, id);
    }

    public static async Task<Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult>> UpdateSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var expected = IfMatch(context.Request);
        var body = await ReadBodyAsync(context, Json.WebhookSubscriptionUpdateRequest).ConfigureAwait(false);
        var s = await manager.UpdateAsync(Owner(context), id, WebhookApiMapper.ToPatch(body), expected, context.RequestAborted).ConfigureAwait(false);
        return Subscription(context, s, id);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var owner = Owner(context);
        if (IfMatch(context.Request) is { } expected)
        {
            var current = await manager.GetAsync(owner, id, context.RequestAborted).ConfigureAwait(false);
            if (current is null)
            {
                return WebhookProblems.SubscriptionNotFound(id);
            }

            if (current.Version != expected)
            {
                throw new Core.WebhookConcurrencyException(id, expected, current.Version);
            }
        }

        return await manager.DeleteAsync(owner, id, context.RequestAborted).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : WebhookProblems.SubscriptionNotFound(id);
    }

    public static Task<Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult>> EnableSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id) => SetActive(context, manager, id, active: true);

    public static Task<Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult>> DisableSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id) => SetActive(context, manager, id, active: false);

    public static async Task<Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult>> RotateSecret(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var body = await ReadBodyAsync(context, Json.WebhookRotateSecretRequest, optional: true).ConfigureAwait(false);
        var rotated = await manager.RotateSecretAsync(Owner(context), id, body?.Secret, context.RequestAborted).ConfigureAwait(false);
        if (rotated is null)
        {
            return WebhookProblems.SubscriptionNotFound(id);
        }

        context.Response.Headers.ETag = ETag(rotated.Subscription.Version);
        return TypedResults.Json(WebhookApiMapper.ToResponse(rotated.Subscription, rotated.Secret), Json.WebhookSubscriptionResponse);
    }

    public static async Task<Results<JsonHttpResult<WebhookTestResponse>, ProblemHttpResult>> TestSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var attempt = await manager.SendTestAsync(Owner(context), id, context.RequestAborted).ConfigureAwait(false);
        return attempt is null
            ? WebhookProblems.SubscriptionNotFound(id)
            : TypedResults.Json(WebhookApiMapper.ToTestResponse(attempt), Json.WebhookTestResponse);
    }

    public static async Task<JsonHttpResult<WebhookTestResponse>> TestUrl(HttpContext context, WebhookSubscriptionManager manager)
    {
        _ = Owner(context); // a test send is an owner's action: no owner, no send (the filter answered 403)
        var body = await ReadBodyAsync(context, Json.WebhookTestRequest).ConfigureAwait(false);
        var attempt = await manager.SendTestAsync(WebhookApiMapper.ToTestTarget(body), context.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(WebhookApiMapper.ToTestResponse(attempt), Json.WebhookTestResponse);
    }

    public static async Task<Results<JsonHttpResult<WebhookDeliveryPage>, ProblemHttpResult>> ListDeliveries(
        HttpContext context,
        WebhookSubscriptionManager manager,
        string id,
        [Description("Only deliveries in this status: pending, succeeded or failed.")] string? status,
        [Description(LimitDescription)] string? limit,
        [Description(CursorDescription)] string? cursor)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var page = await manager.GetDeliveriesAsync(
            Owner(context),
            id,
            Status(status),
            Limit(limit, Options(context).DefaultPageSize),
            DecodeDeliveryCursor(cursor),
            context.RequestAborted).ConfigureAwait(false);
        if (page is null)
        {
            return WebhookProblems.SubscriptionNotFound(id);
        }

        return TypedResults.Json(
            new WebhookDeliveryPage
            {
                Items = [.. page.Items.Select(d => WebhookApiMapper.ToResponse(d))],
                NextCursor = EncodeDeliveryCursor(page.NextCursor),
            },
            Json.WebhookDeliveryPage);
    }

    public static async Task<Results<JsonHttpResult<WebhookDeliveryResponse>, ProblemHttpResult>> GetDelivery(
        HttpContext context, WebhookSubscriptionManager manager, string id, string deliveryId)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        RequireId(deliveryId, DeliveryIdPrefix, "deliveryId");
        var details = await manager.GetDeliveryAsync(Owner(context), id, deliveryId, context.RequestAborted).ConfigureAwait(false);
        return details is null
            ? DeliveryNotFound(id, deliveryId)
            : TypedResults.Json(WebhookApiMapper.ToResponse(details.Delivery, details.Attempts), Json.WebhookDeliveryResponse);
    }

    public static async Task<Results<JsonHttpResult<WebhookDeliveryResponse>, ProblemHttpResult>> Redeliver(
        HttpContext context, WebhookSubscriptionManager manager, string id, string deliveryId)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        RequireId(deliveryId, DeliveryIdPrefix, "deliveryId");
        var owner = Owner(context);
        var requeued = await manager.RedeliverAsync(owner, id, deliveryId, context.RequestAborted).ConfigureAwait(false);
        if (requeued is null)
        {
            return DeliveryNotFound(id, deliveryId);
        }

        if (requeued == false)
        {
            return WebhookProblems.Problem(
                StatusCodes.Status409Conflict,
                "The delivery is still pending.",
                $"Delivery '{deliveryId}' has not finished yet; it can be redelivered once it has succeeded or failed.");
        }

        var details = await manager.GetDeliveryAsync(owner, id, deliveryId, context.RequestAborted).ConfigureAwait(false);
        return details is null
            ? DeliveryNotFound(id, deliveryId)
            : TypedResults.Json(WebhookApiMapper.ToResponse(details.Delivery, details.Attempts), Json.WebhookDeliveryResponse, statusCode: StatusCodes.Status202Accepted);
    }

    public static async Task<Results<JsonHttpResult<WebhookRecoverResponse>, ProblemHttpResult>> Recover(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var body = await ReadBodyAsync(context, Json.WebhookRecoverRequest).ConfigureAwait(false);
        if (body.Since is not { } since)
        {
            throw new Core.WebhookValidationException("since", "Give the time to recover from, such as \"2025-01-31T00:00:00Z\": every failed delivery created since then is sent again.");
        }

        var count = await manager.RecoverAsync(Owner(context), id, since, context.RequestAborted).ConfigureAwait(false);
        return count is null
            ? WebhookProblems.SubscriptionNotFound(id)
            : TypedResults.Json(new WebhookRecoverResponse { Requeued = count.Value }, Json.WebhookRecoverResponse, statusCode: StatusCodes.Status202Accepted);
    }

    public static async Task<Results<JsonHttpResult<WebhookStatsResponse>, ProblemHttpResult>> GetStats(
        HttpContext context,
        WebhookSubscriptionManager manager,
        string id,
        [Description("How far back: 15m, 24h, 7d or hh:mm:ss; default 24h, at most 31d.")] string? window,
        [Description("Bucket width: 1m to the window, at most 1000 buckets; default 1h (1m for windows under an hour).")] string? bucket)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var w = Duration(window, DefaultStatsWindow, "window");
        var b = Duration(bucket, w < DefaultStatsBucket ? TimeSpan.FromMinutes(1) : DefaultStatsBucket, "bucket");
        var buckets = await manager.GetStatsAsync(Owner(context), id, w, b, context.RequestAborted).ConfigureAwait(false);
        if (buckets is null)
        {
            return WebhookProblems.SubscriptionNotFound(id);
        }

        var now = context.RequestServices.GetService<TimeProvider>()?.GetUtcNow() ?? DateTimeOffset.UtcNow;
        return TypedResults.Json(WebhookApiMapper.ToStats(buckets, now - w, now, b), Json.WebhookStatsResponse);
    }

    private static async Task<Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult>> SetActive(
        HttpContext context, WebhookSubscriptionManager manager, string id, bool active)
    {
        RequireId(id, SubscriptionIdPrefix, "id");
        var s = await manager.UpdateAsync(Owner(context), id, new WebhookSubscriptionPatch { Active = active }, IfMatch(context.Request), context.RequestAborted).ConfigureAwait(false);
        return Subscription(context, s, id);
    }

    private static Results<JsonHttpResult<WebhookSubscriptionResponse>, ProblemHttpResult> Subscription(HttpContext context, WebhookSubscription? s, string id)
    {
        if (s is null)
        {
            return WebhookProblems.SubscriptionNotFound(id);
        }

        context.Response.Headers.ETag = ETag(s.Version);
        return TypedResults.Json(WebhookApiMapper.ToResponse(s), Json.WebhookSubscriptionResponse);
    }

    private static ProblemHttpResult DeliveryNotFound(string id, string deliveryId) =>
        WebhookProblems.NotFound($"No delivery '{deliveryId}' exists for subscription '{id}'.");

    private static async Task<T> ReadBodyAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class =>
        (await WebhookJsonBody.ReadAsync(context, typeInfo, Options(context).MaxRequestBodySize, optional: false).ConfigureAwait(false))!;

    private static Task<T?> ReadBodyAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, bool optional)
        where T : class =>
        WebhookJsonBody.ReadAsync(context, typeInfo, Options(context).MaxRequestBodySize, optional);

    private static string Owner(HttpContext context) => WebhookEndpointFilter.GetOwner(context);

    private static WebhookEndpointOptions Options(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<WebhookEndpointOptions>>().Value;
}
