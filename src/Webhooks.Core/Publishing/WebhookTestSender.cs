using System.Text.Json;
using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;
using Webhooks.Core.Serialization;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Publishing;

/// <summary>
/// Sends <c>webhook.test</c> events at once, as a user's "Test webhook" button does: to a saved
/// subscription, or to unsaved settings before they are saved. Test sends are signed and sent
/// exactly like deliveries but not queued or logged; the answer comes back to the caller.
/// </summary>
public sealed class WebhookTestSender
{
    /// <summary>The event type of test sends.</summary>
    public const string TestEventType = "webhook.test";

    private readonly ProtectedSubscriptionStore _subscriptions;
    private readonly WebhookSubscriptionValidator _validator;
    private readonly WebhookSender _sender;
    private readonly IOptions<WebhookOptions> _options;
    private readonly TimeProvider _time;

    internal WebhookTestSender(ProtectedSubscriptionStore subscriptions, WebhookSubscriptionValidator validator, WebhookSender sender, IOptions<WebhookOptions> options, TimeProvider time)
    {
        _subscriptions = subscriptions;
        _validator = validator;
        _sender = sender;
        _options = options;
        _time = time;
    }

    /// <summary>Sends a test event to one of the owner's saved subscriptions now.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The attempt, or <see langword="null"/> when the subscription does not exist or is another owner's.</returns>
    public async Task<WebhookAttempt?> SendAsync(string? owner, string subscriptionId, CancellationToken cancellationToken = default)
    {
        if (!WebhookIds.IsValid(subscriptionId))
        {
            return null;
        }

        var s = await _subscriptions.GetAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
        if (s is null || s.Owner != owner)
        {
            return null;
        }

        var target = new WebhookTarget(s.Url, s.Auth, s.Headers, WebhookSigningSecrets.Active(s.Secrets, _time.GetUtcNow()), s.SignatureScheme ?? _options.Value.DefaultSignatureScheme, s.Name);
        return await SendCoreAsync(target, s.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a test event to unsaved settings ("test before saving").</summary>
    /// <param name="target">Where and how to send; validated like a subscription.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The attempt.</returns>
    /// <exception cref="WebhookValidationException">The URL, auth or headers are invalid.</exception>
    public async Task<WebhookAttempt> SendAsync(WebhookTestTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        _validator.ValidateTarget(target.Url, target.Auth, target.Headers, target.Secret, target.SignatureScheme);
        await _validator.ValidateUrlTargetAsync(target.Url, cancellationToken).ConfigureAwait(false);
        var t = new WebhookTarget(
            target.Url,
            target.Auth ?? WebhookAuth.None,
            WebhookSubscriptionManager.Copy(target.Headers),
            [target.Secret ?? WebhookSecret.Generate()],
            target.SignatureScheme ?? _options.Value.DefaultSignatureScheme,
            target.Name);
        return await SendCoreAsync(t, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WebhookAttempt> SendCoreAsync(WebhookTarget target, string? subscriptionId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var payload = WebhookPublisher.Serialize(
            TestEventType,
            now,
            w => JsonSerializer.Serialize(w, new WebhookTestPayload("This is a test webhook.", subscriptionId), WebhookJsonContext.Default.WebhookTestPayload),
            int.MaxValue,
            _options.Value.PayloadFormat);
        var message = new WebhookMessage { Id = WebhookIds.New(WebhookIds.MessagePrefix, now), EventType = TestEventType, Timestamp = now, CreatedAt = now, Payload = payload };
        var (attempt, _) = await _sender.SendAsync(target, message, 1, cancellationToken).ConfigureAwait(false);
        return attempt;
    }
}
