using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.Filtering;
using Webhooks.Core.Serialization;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Publishing;

internal sealed class WebhookPublisher(
    IWebhookEventCatalog catalog,
    ProtectedSubscriptionStore subscriptions,
    IWebhookDeliveryStore deliveries,
    WebhookDispatchSignal signal,
    IOptions<WebhookOptions> options,
    IOptions<WebhookSerializerOptions> serializer,
    WebhookTelemetry telemetry,
    TimeProvider time) : IWebhookPublisher
{
    public Task<WebhookPublishResult> PublishAsync<TPayload>(WebhookEvent<TPayload> eventType, TPayload data, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var type = Resolve(eventType.Name);
        var typeInfo = (JsonTypeInfo<TPayload>)serializer.Value.JsonSerializerOptions.GetTypeInfo(typeof(TPayload));
        // State passed along rather than captured: no closure per publish.
        return PublishCoreAsync(type, static (writer, state) => JsonSerializer.Serialize(writer, state.Data, state.TypeInfo), (Data: data, TypeInfo: typeInfo), options, cancellationToken);
    }

    public Task<WebhookPublishResult> PublishAsync(string eventType, object? data, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var type = Resolve(eventType);
        if (data is not null && type.PayloadType is { } expected && !expected.IsInstanceOfType(data))
        {
            throw new WebhookValidationException("data", $"Event type '{eventType}' carries {expected.Name} payloads, not {data.GetType().Name}.");
        }

        var jsonOptions = serializer.Value.JsonSerializerOptions;
        return PublishCoreAsync(type, static (writer, state) => WriteUntyped(writer, state.Data, state.Options), (Data: data, Options: jsonOptions), options, cancellationToken);
    }

    internal static void WriteUntyped(Utf8JsonWriter writer, object? data, JsonSerializerOptions jsonOptions)
    {
        switch (data)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case System.Text.Json.Nodes.JsonNode node:
                node.WriteTo(writer, jsonOptions);
                break;
            default:
                JsonSerializer.Serialize(writer, data, jsonOptions.GetTypeInfo(data.GetType()));
                break;
        }
    }

    private WebhookEventType Resolve(string name) =>
        catalog.Find(name) ?? throw new WebhookUnknownEventTypeException(name, catalog.EventTypes.Select(t => t.Name));

    private Task<WebhookPublishResult> PublishCoreAsync<TState>(WebhookEventType type, Action<Utf8JsonWriter, TState> writeData, TState state, WebhookPublishOptions? publishOptions, CancellationToken cancellationToken)
    {
        // Nobody listening for spans (the common case): no async frame of its own around the publish.
        return WebhookTelemetry.Source.HasListeners()
            ? PublishTracedAsync(type, writeData, state, publishOptions, cancellationToken)
            : PublishStoredAsync(type, writeData, state, publishOptions, null, cancellationToken);
    }

    private async Task<WebhookPublishResult> PublishTracedAsync<TState>(WebhookEventType type, Action<Utf8JsonWriter, TState> writeData, TState state, WebhookPublishOptions? publishOptions, CancellationToken cancellationToken)
    {
        // A child of the caller's activity; its context travels with the message, so an attempt sent
        // later by any instance links back to it.
        using var activity = WebhookTelemetry.Source.StartActivity($"webhook publish {type.Name}", ActivityKind.Producer);
        activity?.SetTag("webhook.event_type", type.Name);
        try
        {
            var result = await PublishStoredAsync(type, writeData, state, publishOptions, activity, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("webhook.message_id", result.MessageId);
            activity?.SetTag("webhook.delivery_count", result.DeliveryCount);
            activity?.SetTag("webhook.duplicate", result.IsDuplicate);
            return result;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity.SetTag("error.type", ex.GetType().FullName);
            throw;
        }
    }

    private async Task<WebhookPublishResult> PublishStoredAsync<TState>(WebhookEventType type, Action<Utf8JsonWriter, TState> writeData, TState state, WebhookPublishOptions? publishOptions, Activity? activity, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var orderingKey = publishOptions?.OrderingKey;
        if (orderingKey is not null && ValidateOrderingKey(orderingKey) is { } keyError)
        {
            throw new WebhookValidationException("orderingKey", keyError);
        }

        var now = time.GetUtcNow();
        var timestamp = publishOptions?.Timestamp ?? now;
        var owner = publishOptions?.Owner;
        var payload = Serialize(type.Name, timestamp, writeData, state, o.MaxPayloadBytes, o.PayloadFormat);

        var context = publishOptions?.EnqueueContext;
        var targets = await subscriptions.FindForEventAsync(owner, type.GetSubscriptionPatterns(), context, cancellationToken).ConfigureAwait(false);
        if (AnyFiltered(targets))
        {
            // Payload filters read the bytes just serialized, parsed at most once, each distinct filter evaluated once.
            var attributes = publishOptions?.Attributes;
            using var content = new WebhookPayloadFilterEvaluator(payload, type.Name, o.PayloadFormat != WebhookPayloadFormat.Data);
            targets = [.. targets.Where(t => Accepts(t, attributes) && content.Matches(t.PayloadFilter))];
        }

        var idempotencyKey = publishOptions?.IdempotencyKey;
        if (targets.Count == 0 && idempotencyKey is null)
        {
            telemetry.Published(type.Name);
            return new WebhookPublishResult(WebhookIds.New(WebhookIds.MessagePrefix, now), 0, false);
        }

        var message = new WebhookMessage
        {
            Id = WebhookIds.New(WebhookIds.MessagePrefix, now),
            EventType = type.Name,
            Timestamp = timestamp,
            Owner = owner,
            CreatedAt = now,
            IdempotencyKey = idempotencyKey,
            IdempotencyExpiresAt = idempotencyKey is null ? null : now + o.IdempotencyWindow,
            TraceParent = activity?.Id,
            TraceState = activity?.TraceStateString,
            Payload = payload,
        };
        var batch = new WebhookDelivery[targets.Count];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = new WebhookDelivery
            {
                Id = WebhookIds.New(WebhookIds.DeliveryPrefix, now),
                MessageId = message.Id,
                SubscriptionId = targets[i].Id,
                EventType = type.Name,
                OrderingKey = targets[i].Ordered ? orderingKey : null, // only an ordered subscription's deliveries wait on each other
                Owner = owner,
                Status = WebhookDeliveryStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            };
        }

        var result = await deliveries.EnqueueAsync(message, batch, context, cancellationToken).ConfigureAwait(false);
        if (!result.IsDuplicate)
        {
            telemetry.Published(type.Name);
            if (batch.Length > 0)
            {
                signal.Notify();
            }
        }

        return new WebhookPublishResult(result.MessageId, result.DeliveryCount, result.IsDuplicate);
    }

    private static bool AnyFiltered(IReadOnlyList<WebhookSubscription> targets)
    {
        for (int i = 0; i < targets.Count; i++)
        {
            if (targets[i].Filter.Count > 0 || targets[i].PayloadFilter is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The most characters an ordering key may have.</summary>
    internal const int MaxOrderingKeyLength = 256;

    /// <summary>Why an ordering key is refused, or <see langword="null"/> when it is fine: 1 to 256 printable ASCII characters.</summary>
    internal static string? ValidateOrderingKey(string key)
    {
        if (key.Length is 0 or > MaxOrderingKeyLength)
        {
            return $"The ordering key is {key.Length} characters; it must have 1 to {MaxOrderingKeyLength}.";
        }

        foreach (char c in key)
        {
            if (c is < ' ' or > '~')
            {
                return $"The ordering key must be printable ASCII (space to '~'); it contains U+{(int)c:X4}.";
            }
        }

        return null;
    }

    /// <summary>Whether an event published with <paramref name="attributes"/> passes the subscription's attribute filter.</summary>
    internal static bool Accepts(WebhookSubscription subscription, IReadOnlyDictionary<string, string>? attributes)
    {
        foreach (var (key, allowed) in subscription.Filter)
        {
            if (attributes is null || !attributes.TryGetValue(key, out var value) || !allowed.Contains(value, StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the body once (the Standard Webhooks envelope, or the data alone); every delivery of the message shares these bytes.</summary>
    internal static byte[] Serialize(string eventType, DateTimeOffset timestamp, Action<Utf8JsonWriter> writeData, int maxBytes, WebhookPayloadFormat format = WebhookPayloadFormat.Envelope)
        => Serialize(eventType, timestamp, static (writer, write) => write(writer), writeData, maxBytes, format);

    /// <summary>As <see cref="Serialize(string, DateTimeOffset, Action{Utf8JsonWriter}, int, WebhookPayloadFormat)"/>, the data written from <paramref name="state"/>.</summary>
    internal static byte[] Serialize<TState>(string eventType, DateTimeOffset timestamp, Action<Utf8JsonWriter, TState> writeData, TState state, int maxBytes, WebhookPayloadFormat format = WebhookPayloadFormat.Envelope)
    {
        // The buffer and writer are kept per thread and reused (taken out while in use, so a nested
        // publish gets its own): the one allocation per publish is the body itself.
        var (buffer, writer) = t_serializer ?? (new ArrayBufferWriter<byte>(1024), null);
        t_serializer = null;
        buffer.ResetWrittenCount();
        if (writer is null)
        {
            writer = new Utf8JsonWriter(buffer);
        }
        else
        {
            writer.Reset(buffer);
        }

        try
        {
            if (format == WebhookPayloadFormat.Data)
            {
                writeData(writer, state);
            }
            else
            {
                WriteEnvelope(writer, eventType, timestamp, writeData, state);
            }

            writer.Flush();
            if (buffer.WrittenCount > maxBytes)
            {
                throw new WebhookPayloadTooLargeException(eventType, buffer.WrittenCount, maxBytes);
            }

            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            // A buffer grown past 64 KiB by one large payload is not kept.
            if (buffer.Capacity <= 64 * 1024)
            {
                writer.Reset();
                t_serializer = (buffer, writer);
            }
            else
            {
                writer.Dispose();
            }
        }
    }

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter? Writer)? t_serializer;

    private static void WriteEnvelope<TState>(Utf8JsonWriter writer, string eventType, DateTimeOffset timestamp, Action<Utf8JsonWriter, TState> writeData, TState state)
    {
        writer.WriteStartObject();
        writer.WriteString("type", eventType);
        writer.WriteString("timestamp", timestamp.ToUniversalTime());
        writer.WritePropertyName("data");
        writeData(writer, state);
        writer.WriteEndObject();
    }
}
