using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Webhooks.Samples.Orders;

/// <summary>
/// Development only: a receiver inside the sample itself, so a curl session needs no second
/// program. <c>POST /dev/receiver</c> records what arrives and answers 200 (or the status in
/// <c>?status=</c>); <c>GET /dev/receiver</c> lists the last 50 requests, newest first.
/// </summary>
internal static class DevReceiver
{
    private static readonly ConcurrentQueue<object> Received = new();

    public static IEndpointRouteBuilder MapDevReceiver(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dev/receiver").AllowAnonymous().WithTags("Development");
        group.MapPost("/", async (HttpRequest request, int? status) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            object? json;
            try
            {
                json = JsonSerializer.Deserialize<JsonElement>(body);
            }
            catch (JsonException)
            {
                json = body;
            }

            Received.Enqueue(new
            {
                receivedAt = DateTimeOffset.UtcNow,
                webhookId = request.Headers["webhook-id"].ToString(),
                webhookTimestamp = request.Headers["webhook-timestamp"].ToString(),
                webhookSignature = request.Headers["webhook-signature"].ToString(),
                authorization = request.Headers.Authorization.Count > 0 ? "(present)" : null,
                body = json,
            });
            while (Received.Count > 50 && Received.TryDequeue(out _))
            {
            }

            return Results.StatusCode(status is >= 200 and <= 599 ? status.Value : 200);
        }).WithName("DevReceiverPost").WithSummary("Development: receive a webhook");
        group.MapGet("/", () => Results.Ok(Received.Reverse().ToArray()))
            .WithName("DevReceiverList").WithSummary("Development: what the receiver got, newest first");
        return app;
    }
}
