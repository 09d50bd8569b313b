/*
 * ESP-IDF calls the Moddable SDK does not expose to scripts: the app rollback state machine
 * (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE), restart, the hardware RNG and the free heap.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"

#include "esp_ota_ops.h"
#include "esp_random.h"
#include "esp_system.h"

void xs_zenthos_running_state(xsMachine *the)
{
	esp_ota_img_states_t state;
	const esp_partition_t *running = esp_ota_get_running_partition();
	if ((NULL == running) || (ESP_OK != esp_ota_get_state_partition(running, &state)))
		xsmcSetString(xsResult, "unknown");
	else if (ESP_OTA_IMG_PENDING_VERIFY == state)
		xsmcSetString(xsResult, "pending");
	else
		xsmcSetString(xsResult, "valid");
}

void xs_zenthos_mark_valid(xsMachine *the)
{
	if (ESP_OK != esp_ota_mark_app_valid_cancel_rollback())
		xsUnknownError("esp_ota_mark_app_valid_cancel_rollback failed");
}

void xs_zenthos_rollback_and_reboot(xsMachine *the)
{
	// Returns only when there is no previous image to go back to.
	esp_ota_mark_app_invalid_rollback_and_reboot();
	xsUnknownError("no previous app image to roll back to");
}

void xs_zenthos_restart(xsMachine *the)
{
	esp_restart();
}

void xs_zenthos_random_bytes(xsMachine *the)
{
	int count = xsmcToInteger(xsArg(0));
	if ((count < 0) || (count > 1024))
		xsRangeError("count out of range");
	xsmcSetArrayBuffer(xsResult, NULL, count);
	esp_fill_random(xsmcToArrayBuffer(xsResult), count);
}

void xs_zenthos_free_heap(xsMachine *the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)esp_get_free_heap_size());
}
