package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.DeviceMapping;
import dev.rabbithole.stage1.execdriver.HostDevices;

/**
 * Checks {@code HostConfig.Devices} ({@code --device}) at {@code POST /containers/create}: each entry an
 * object with a host path, an absolute container path and permissions of r, w, m. The docker CLI checks the
 * same before it sends; Docker's daemon (20.10) takes any value and fails later or not at all, this one
 * refuses at create. Whether the host path is a device is checked at start, as Docker does.
 */
final class DeviceChecks {
    private DeviceChecks() { }

    /**
     * @param devices the {@code Devices} value: absent, null or an array
     * @throws InvalidParameterException not an array, an entry that is not an object, or an invalid entry
     *                                   ({@link HostDevices#validate})
     */
    static void check(JsonNode devices) {
        if (devices == null || devices.isNull()) {
            return;
        }
        if (!devices.isArray()) {
            throw new InvalidParameterException("invalid container config: HostConfig.Devices is not an array");
        }
        for (JsonNode d : devices) {
            if (!d.isObject()) {
                throw new InvalidParameterException("invalid container config: HostConfig.Devices entry is not an object");
            }
            HostDevices.validate(new DeviceMapping(d.path("PathOnHost").asText(""),
                    d.path("PathInContainer").asText(""), d.path("CgroupPermissions").asText("")));
        }
    }
}
