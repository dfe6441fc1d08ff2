using System.ComponentModel;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Models;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using static Webhooks.AspNetCore.Endpoints.WebhookRequestParsing;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// The subscription endpoints' handlers: parse, call <see cref="WebhookSubscriptionManager"/> (or
/// <see cref="WebhookTestSender"/>), map the answer. Validation, owner scoping and masking are the
/// engine's; the filter maps its exceptions to ProblemDetails, which is why a handler's
/// <c>Results</c> also names the 400/409/412 the filter writes for it. Responses are written with
/// <see cref="WebhooksApiJsonContext"/>, so their shape does not depend on the app's JSON settings.
/// </summary>
internal static class WebhookEndpointHandlers
{
    internal const string CursorDescription = "The nextCursor of the previous page, unchanged; omit for the first page.";

    // Responses are application/json, never embedded in HTML, so '+' in a secret or '…' in a
    // masked one need no escaping: keep them readable.
    internal static readonly WebhooksApiJsonContext Json = new(new JsonSerializerOptions(WebhooksApiJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static WebhookOk<WebhookEventCatalogResponse> ListEventTypes(IWebhookEventCatalog catalog) =>
        new(WebhookApiMapper.ToCatalog(catalog), Json.WebhookEventCatalogResponse);

    public static async Task<Results<WebhookOk<WebhookSubscriptionPage>, ValidationProblem>> ListSubscriptions(
        HttpContext context,
        WebhookSubscriptionManager manager,
        [PageLimitDescription] string? limit,
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
        return new WebhookOk<WebhookSubscriptionPage>(
            new WebhookSubscriptionPage
            {
                Items = [.. page.Items.Select(s => WebhookApiMapper.ToResponse(s, Circuit(context, s)))],
                NextCursor = EncodeSubscriptionCursor(page.NextCursor),
            },
            Json.WebhookSubscriptionPage);
    }

    public static async Task<Results<WebhookCreated<WebhookSubscriptionResponse>, ValidationProblem, WebhookConflict>> CreateSubscription(
        HttpContext context, WebhookSubscriptionManager manager)
    {
        var body = await ReadBodyAsync(context, Json.WebhookSubscriptionCreateRequest).ConfigureAwait(false);
        var created = await manager.CreateAsync(Owner(context), WebhookApiMapper.ToDefinition(body), context.RequestAborted).ConfigureAwait(false);
        var s = created.Subscription;
        var headers = context.Response.Headers;
        headers.Location = $"{context.Request.PathBase}{context.Request.Path.Value?.TrimEnd('/')}/{s.Id}";
        headers.ETag = ETag(s.Version);
        return new WebhookCreated<WebhookSubscriptionResponse>(WebhookApiMapper.ToResponse(s, Circuit(context, s), created.Secret), Json.WebhookSubscriptionResponse);
    }

    public static async Task<Results<WebhookOk<WebhookSubscriptionResponse>, ValidationProblem, WebhookNotFound>> GetSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        var s = await manager.GetAsync(Owner(context), id, context.RequestAborted).ConfigureAwait(false);
        return s is null ? WebhookProblems.SubscriptionNotFound(id) : Subscription(context, s);
    }

    public static async Task<Results<WebhookOk<WebhookSubscriptionResponse>, ValidationProblem, WebhookNotFound, WebhookConflict, WebhookPreconditionFailed>> UpdateSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        var expected = IfMatch(context.Request);
        var body = await ReadBodyAsync(context, Json.WebhookSubscriptionUpdateRequest).ConfigureAwait(false);
        var s = await manager.UpdateAsync(Owner(context), id, WebhookApiMapper.ToPatch(body), expected, context.RequestAborted).ConfigureAwait(false);
        return s is null ? WebhookProblems.SubscriptionNotFound(id) : Subscription(context, s);
    }

    public static async Task<Results<NoContent, ValidationProblem, WebhookNotFound, WebhookPreconditionFailed>> DeleteSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");

        // The version is compared and the subscription deleted in one store operation: a change made
        // between the caller's read and this delete fails it with 412 instead of being deleted unseen.
        return await manager.DeleteAsync(Owner(context), id, IfMatch(context.Request), context.RequestAborted).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : WebhookProblems.SubscriptionNotFound(id);
    }

    public static Task<Results<WebhookOk<WebhookSubscriptionResponse>, ValidationProblem, WebhookNotFound, WebhookPreconditionFailed>> EnableSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id) => SetActive(context, manager, id, active: true);

    public static Task<Results<WebhookOk<WebhookSubscriptionResponse>, ValidationProblem, WebhookNotFound, WebhookPreconditionFailed>> DisableSubscription(
        HttpContext context, WebhookSubscriptionManager manager, string id) => SetActive(context, manager, id, active: false);

    public static async Task<Results<WebhookOk<WebhookSubscriptionResponse>, ValidationProblem, WebhookNotFound>> RotateSecret(
        HttpContext context, WebhookSubscriptionManager manager, string id)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        var body = await ReadBodyAsync(context, Json.WebhookRotateSecretRequest, optional: true).ConfigureAwait(false);
        var rotated = await manager.RotateSecretAsync(Owner(context), id, body?.Secret, context.RequestAborted).ConfigureAwait(false);
        if (rotated is null)
        {
            return WebhookProblems.SubscriptionNotFound(id);
        }

        context.Response.Headers.ETag = ETag(rotated.Subscription.Version);
        return new WebhookOk<WebhookSubscriptionResponse>(WebhookApiMapper.ToResponse(rotated.Subscription, Circuit(context, rotated.Subscription), rotated.Secret), Json.WebhookSubscriptionResponse);
    }

    public static async Task<Results<WebhookOk<WebhookTestResponse>, ValidationProblem, WebhookNotFound>> TestSubscription(
        HttpContext context, WebhookTestSender sender, string id)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        var attempt = await sender.SendAsync(Owner(context), id, context.RequestAborted).ConfigureAwait(false);
        return attempt is null
            ? WebhookProblems.SubscriptionNotFound(id)
            : new WebhookOk<WebhookTestResponse>(WebhookApiMapper.ToTestResponse(attempt), Json.WebhookTestResponse);
    }

    public static async Task<Results<WebhookOk<WebhookTestResponse>, ValidationProblem>> TestUrl(HttpContext context, WebhookTestSender sender)
    {
        _ = Owner(context); // a test send is an owner's action: no owner, no send (the filter answered 403)
        var body = await ReadBodyAsync(context, Json.WebhookTestRequest).ConfigureAwait(false);
        var attempt = await sender.SendAsync(WebhookApiMapper.ToTestTarget(body), context.RequestAborted).ConfigureAwait(false);
        return new WebhookOk<WebhookTestResponse>(WebhookApiMapper.ToTestResponse(attempt), Json.WebhookTestResponse);
    }

    internal static async Task<T> ReadBodyAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo)
        where T : class =>
        (await WebhookJsonBody.ReadAsync(context, typeInfo, Options(context).MaxRequestBodySize, optional: false).ConfigureAwait(false))!;

    internal static string Owner(HttpContext context) => WebhookEndpointFilter.GetOwner(context);

    internal static WebhookEndpointOptions Options(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<WebhookEndpointOptions>>().Value;

    private static async Task<Results<WebhookOk<WebhookSubscriptionResponse>, ValidationProblem, WebhookNotFound, WebhookPreconditionFailed>> SetActive(
        HttpContext context, WebhookSubscriptionManager manager, string id, bool active)
    {
        RequireId(id, WebhookIds.SubscriptionPrefix, "id");
        var s = await manager.UpdateAsync(Owner(context), id, new WebhookSubscriptionPatch { Active = active }, IfMatch(context.Request), context.RequestAborted).ConfigureAwait(false);
        return s is null ? WebhookProblems.SubscriptionNotFound(id) : Subscription(context, s);
    }

    private static WebhookEndpointCircuit Circuit(HttpContext context, WebhookSubscription s) =>
        context.RequestServices.GetRequiredService<WebhookDeliveryManager>().GetEndpointCircuit(s);

    private static WebhookOk<WebhookSubscriptionResponse> Subscription(HttpContext context, WebhookSubscription s)
    {
        context.Response.Headers.ETag = ETag(s.Version);
        return new WebhookOk<WebhookSubscriptionResponse>(WebhookApiMapper.ToResponse(s, Circuit(context, s)), Json.WebhookSubscriptionResponse);
    }

    private static Task<T?> ReadBodyAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, bool optional)
        where T : class =>
        WebhookJsonBody.ReadAsync(context, typeInfo, Options(context).MaxRequestBodySize, optional);
}
