using System.ComponentModel;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Models;
using Webhooks.Core;
using Webhooks.Core.Delivery;
using static Webhooks.AspNetCore.Endpoints.WebhookEndpointHandlers;
using static Webhooks.AspNetCore.Endpoints.WebhookRequestParsing;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// The delivery endpoints' handlers (log, redelivery, recovery, statistics), owner-wide and per
/// subscription, over <see cref="WebhookDeliveryManager"/>. Each is mapped only when the delivery
/// store has the capability it needs.
/// </summary>
internal static class WebhookDeliveryEndpointHandlers
{
    private const string StatusDescription = "Only deliveries in this status: pending, succeeded or failed.";
    private const string EventTypeDescription = "Only deliveries of exactly this event type, such as order.created.";
    private const string WindowDescription = "How far back: 15m, 24h, 7d or hh:mm:ss; default 24h, at most 31d.";
    private const string BucketDescription = "Bucket width in whole minutes: 1m to the window, at most 1000 buckets; default 1h (1m for windows under an hour).";

    private static readonly TimeSpan DefaultStatsWindow = TimeSpan.FromHours(24);
    private static readonly TimeSpan DefaultStatsBucket = TimeSpan.FromHours(1);

    public static Task<Results<WebhookOk<WebhookDeliveryPage>, ValidationProblem, WebhookNotFound>> ListOwnerDeliveries(
        HttpContext context,
        WebhookDeliveryManager deliveries,
        [Description(StatusDescription)] string? status,
        [Description(EventTypeDescription)] string? eventType,
        [Description("Only deliveries to this subscription (its id).")] string? subscription,
        [PageLimitDescription] string? limit,
        [Description(CursorDescription)] string? cursor) =>
        ListAsync(context, deliveries, OptionalId(subscription, WebhookIds.SubscriptionPrefix, "subscription"), status, eventType, limit, cursor);

    public static Task<Results<WebhookOk<WebhookDeliveryPage>, ValidationProblem, WebhookNotFound>> ListDeliveries(
        HttpContext context,
        WebhookDeliveryManager deliveries,
        string id,
        [Description(StatusDescription)] string? status,
        [Description(EventTypeDescription)] string? eventType,
        [PageLimitDescription] string? limit,
        [Description(CursorDescription)] string? cursor)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        return ListAsync(context, deliveries, id, status, eventType, limit, cursor);
    }

    public static async Task<Results<WebhookOk<WebhookDeliveryResponse>, ValidationProblem, WebhookNotFound>> GetOwnerDelivery(
        HttpContext context, WebhookDeliveryManager deliveries, string deliveryId)
    {
        RequireId(deliveryId, WebhookIds.DeliveryPrefix, "deliveryId");
        var details = await deliveries.GetDeliveryAsync(Owner(context), deliveryId, context.RequestAborted).ConfigureAwait(false);
        return details is null
            ? WebhookProblems.DeliveryNotFound(deliveryId)
            : new WebhookOk<WebhookDeliveryResponse>(WebhookApiMapper.ToResponse(details.Delivery, details.Attempts), Json.WebhookDeliveryResponse);
    }

    public static async Task<Results<WebhookOk<WebhookDeliveryResponse>, ValidationProblem, WebhookNotFound>> GetDelivery(
        HttpContext context, WebhookDeliveryManager deliveries, string id, string deliveryId)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        RequireId(deliveryId, WebhookIds.DeliveryPrefix, "deliveryId");
        var details = await GetSubscriptionDeliveryAsync(context, deliveries, id, deliveryId).ConfigureAwait(false);
        return details is null
            ? WebhookProblems.DeliveryNotFound(id, deliveryId)
            : new WebhookOk<WebhookDeliveryResponse>(WebhookApiMapper.ToResponse(details.Delivery, details.Attempts), Json.WebhookDeliveryResponse);
    }

    public static async Task<Results<WebhookAccepted<WebhookDeliveryResponse>, ValidationProblem, WebhookNotFound, WebhookConflict>> Redeliver(
        HttpContext context, WebhookDeliveryManager deliveries, string id, string deliveryId)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        RequireId(deliveryId, WebhookIds.DeliveryPrefix, "deliveryId");
        var details = await GetSubscriptionDeliveryAsync(context, deliveries, id, deliveryId).ConfigureAwait(false);
        if (details is null)
        {
            return WebhookProblems.DeliveryNotFound(id, deliveryId);
        }

        WebhookDelivery? requeued;
        try
        {
            requeued = await deliveries.RedeliverAsync(Owner(context), deliveryId, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WebhookConflictException)
        {
            return new WebhookConflict(
                "The delivery is still pending.",
                $"Delivery '{deliveryId}' has not finished yet; it can be redelivered once it has succeeded or failed.");
        }

        return requeued is null
            ? WebhookProblems.DeliveryNotFound(id, deliveryId)
            : new WebhookAccepted<WebhookDeliveryResponse>(WebhookApiMapper.ToResponse(requeued, details.Attempts), Json.WebhookDeliveryResponse);
    }

    public static async Task<Results<WebhookAccepted<WebhookRecoverResponse>, ValidationProblem, WebhookNotFound>> Recover(
        HttpContext context, WebhookDeliveryManager deliveries, string id)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        var body = await ReadBodyAsync(context, Json.WebhookRecoverRequest).ConfigureAwait(false);
        if (body.Since is not { } since)
        {
            throw new WebhookValidationException("since", "Give the time to recover from, such as \"2025-01-31T00:00:00Z\": every failed delivery created since then is sent again.");
        }

        var count = await deliveries.RecoverAsync(Owner(context), id, since, context.RequestAborted).ConfigureAwait(false);
        return count is null
            ? WebhookProblems.SubscriptionNotFound(id)
            : new WebhookAccepted<WebhookRecoverResponse>(new WebhookRecoverResponse { Requeued = count.Value }, Json.WebhookRecoverResponse);
    }

    public static Task<Results<WebhookOk<WebhookStatsResponse>, ValidationProblem, WebhookNotFound>> GetOwnerStats(
        HttpContext context,
        WebhookDeliveryManager deliveries,
        [Description("Only attempts to this subscription (its id); all of the caller's when omitted.")] string? subscription,
        [Description(WindowDescription)] string? window,
        [Description(BucketDescription)] string? bucket) =>
        StatsAsync(context, deliveries, OptionalId(subscription, WebhookIds.SubscriptionPrefix, "subscription"), window, bucket);

    public static Task<Results<WebhookOk<WebhookStatsResponse>, ValidationProblem, WebhookNotFound>> GetStats(
        HttpContext context,
        WebhookDeliveryManager deliveries,
        string id,
        [Description(WindowDescription)] string? window,
        [Description(BucketDescription)] string? bucket)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        return StatsAsync(context, deliveries, id, window, bucket);
    }

    /// <summary>The most subscriptions one <c>GET /stats/subscriptions</c> totals (each is a store query).</summary>
    internal const int MaxStatsIds = 100;

    public static async Task<Results<WebhookOk<WebhookStatsBySubscriptionResponse>, ValidationProblem>> GetStatsBySubscription(
        HttpContext context,
        WebhookDeliveryManager deliveries,
        [Description("The subscriptions' ids, comma-separated, such as sub_a,sub_b (at most 100).")] string? ids,
        [Description(WindowDescription)] string? window)
    {
        var list = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count is 0 or > MaxStatsIds)
        {
            throw new WebhookValidationException("ids", $"List 1 to {MaxStatsIds} subscription ids, comma-separated, such as ids=sub_a,sub_b.");
        }

        foreach (var id in list)
        {
            RequireId(id, WebhookIds.SubscriptionPrefix, "ids");
        }

        // Buckets start on whole multiples of their width, so the first one may begin before the
        // window: the narrowest allowed width keeps that overlap to a minute or two.
        var w = Duration(window, DefaultStatsWindow, "window");
        var b = TimeSpan.FromMinutes(Math.Max(1, Math.Ceiling(w.TotalMinutes / 1000)));
        var items = new List<WebhookSubscriptionStatsResponse>(list.Count);
        foreach (var id in list)
        {
            var buckets = await deliveries.GetStatsAsync(Owner(context), id, w, b, context.RequestAborted).ConfigureAwait(false);
            if (buckets is not null)
            {
                items.Add(new WebhookSubscriptionStatsResponse { SubscriptionId = id, Succeeded = buckets.Sum(b => b.Succeeded), Failed = buckets.Sum(b => b.Failed) });
            }
        }

        var now = context.RequestServices.GetService<TimeProvider>()?.GetUtcNow() ?? DateTimeOffset.UtcNow;
        return new WebhookOk<WebhookStatsBySubscriptionResponse>(
            new WebhookStatsBySubscriptionResponse { WindowStart = now - w, WindowEnd = now, Items = items },
            Json.WebhookStatsBySubscriptionResponse);
    }

    private static async Task<Results<WebhookOk<WebhookDeliveryPage>, ValidationProblem, WebhookNotFound>> ListAsync(
        HttpContext context, WebhookDeliveryManager deliveries, string? subscriptionId, string? status, string? eventType, string? limit, string? cursor)
    {
        var page = await deliveries.GetDeliveriesAsync(
            Owner(context),
            subscriptionId,
            Status(status),
            EventType(eventType),
            Limit(limit, Options(context).DefaultPageSize),
            DecodeDeliveryCursor(cursor),
            context.RequestAborted).ConfigureAwait(false);
        if (page is null)
        {
            return WebhookProblems.SubscriptionNotFound(subscriptionId!);
        }

        return new WebhookOk<WebhookDeliveryPage>(
            new WebhookDeliveryPage
            {
                Items = [.. page.Items.Select(d => WebhookApiMapper.ToResponse(d))],
                NextCursor = EncodeDeliveryCursor(page.NextCursor),
            },
            Json.WebhookDeliveryPage);
    }

    private static async Task<Results<WebhookOk<WebhookStatsResponse>, ValidationProblem, WebhookNotFound>> StatsAsync(
        HttpContext context, WebhookDeliveryManager deliveries, string? subscriptionId, string? window, string? bucket)
    {
        var w = Duration(window, DefaultStatsWindow, "window");
        var b = Duration(bucket, w < DefaultStatsBucket ? TimeSpan.FromMinutes(1) : DefaultStatsBucket, "bucket");
        var buckets = await deliveries.GetStatsAsync(Owner(context), subscriptionId, w, b, context.RequestAborted).ConfigureAwait(false);
        if (buckets is null)
        {
            return WebhookProblems.SubscriptionNotFound(subscriptionId!);
        }

        var now = context.RequestServices.GetService<TimeProvider>()?.GetUtcNow() ?? DateTimeOffset.UtcNow;
        return new WebhookOk<WebhookStatsResponse>(WebhookApiMapper.ToStats(buckets, now - w, now, b), Json.WebhookStatsResponse);
    }

    /// <summary>The owner's delivery, if it belongs to subscription <paramref name="id"/>: the subscription-scoped routes answer 404 for another subscription's.</summary>
    private static async Task<WebhookDeliveryDetails?> GetSubscriptionDeliveryAsync(HttpContext context, WebhookDeliveryManager deliveries, string id, string deliveryId)
    {
        var details = await deliveries.GetDeliveryAsync(Owner(context), deliveryId, context.RequestAborted).ConfigureAwait(false);
        return details is not null && details.Delivery.SubscriptionId == id ? details : null;
    }
}
