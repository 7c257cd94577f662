#!/usr/bin/env python3
"""A vendor-protocol (amba-usb) body camera, as a real USB device, INSIDE the station guest.

Started by `gadget.sh amba` (which made the configfs gadget, linked the ffs function into its
config and mounted functionfs); binds nothing itself until @ATH. It

  1. writes the FunctionFS descriptors and strings to ep0: ONE interface, class 0xff, with a bulk
     OUT endpoint (ep1) and a bulk IN endpoint (ep2), 64-byte packets at full speed and 512-byte
     at high speed. gadget.sh binds the gadget to the UDC once ep1/ep2 exist;
  2. answers the camera's frames `@Cmd;len;payload;#` (src/camera/amba_usb.rs):
       @Ver;8;00000000;#  -> @Ver;2;OK;#
       @Gdv;8;12345678;#  -> @Gdv;<n>;<device id>;#
       @Sdt;8;yyyyMMdd;#  -> @Sdt;2;OK;#      (remembered)
       @Stm;8;HHmmss00;#  -> @Stm;2;OK;#      (date+time written to STATE/NAME.clock)
       @ATH;8;12345678;#  -> @ATH;2;OK;#, then the camera switches to mass storage
     anything else, or a frame whose len disagrees with its payload, gets `@Cmd;2;ER;#`;
  3. on @ATH re-enumerates as the camera's card: unbinds the gadget, unlinks the ffs function from
     configs/c.1, links functions/mass_storage.0 (made by gadget.sh, backed by the card image,
     same VID:PID and iSerial) and binds to the SAME UDC, then exits. The card is not written.

Every frame in and out goes to STATE/NAME.log, one line each:
  <UTC ISO time> <unix time> > <frame as received>     (host to camera)
  <UTC ISO time> <unix time> < <frame as sent>         (camera to host)
and notes (`#`) for enumeration events. Stdlib only.

  amba-camera.py NAME GADGET_DIR FFS_DIR DEVICE_ID [STATE_DIR=/run/amba-camera]
"""
import datetime
import os
import re
import struct
import sys
import threading
import time

NAME, GADGET, FFS, DEVICE_ID = sys.argv[1:5]
STATE = sys.argv[5] if len(sys.argv) > 5 else "/run/amba-camera"

# --- FunctionFS blobs (include/uapi/linux/usb/functionfs.h) --------------------------------------
# Descriptors, v2 layout: le32 magic, le32 length (of the whole blob), le32 flags, then one le32
# count per speed named in flags (fs, hs, in that order), then that many raw USB descriptors per
# speed. ep files are numbered by the ORDER of the endpoint descriptors (ep1 = first), and every
# speed must list the same endpoint addresses in the same order (else EINVAL on write).
DESCRIPTORS_MAGIC_V2 = 3
HAS_FS_DESC, HAS_HS_DESC = 1, 2
STRINGS_MAGIC = 2
EP_OUT, EP_IN = 0x01, 0x82          # ep1 (host -> camera), ep2 (camera -> host)


def interface():
    # bLength, bDescriptorType=INTERFACE, bInterfaceNumber, bAlternateSetting, bNumEndpoints,
    # bInterfaceClass=0xff (vendor), bInterfaceSubClass, bInterfaceProtocol, iInterface=1 (our string)
    return struct.pack("<9B", 9, 4, 0, 0, 2, 0xFF, 0, 0, 1)


def bulk(address, max_packet):
    # The 7-byte endpoint descriptor (not the 9-byte audio one): bLength, bDescriptorType=ENDPOINT,
    # bEndpointAddress, bmAttributes=2 (bulk), wMaxPacketSize (le16), bInterval
    return struct.pack("<BBBBHB", 7, 5, address, 2, max_packet, 0)


def descriptors():
    fs = interface() + bulk(EP_OUT, 64) + bulk(EP_IN, 64)
    hs = interface() + bulk(EP_OUT, 512) + bulk(EP_IN, 512)
    body = struct.pack("<II", 3, 3) + fs + hs          # fs_count, hs_count (descriptors, not bytes)
    return struct.pack("<III", DESCRIPTORS_MAGIC_V2, 12 + len(body), HAS_FS_DESC | HAS_HS_DESC) + body


def strings():
    # le32 magic, le32 length, le32 str_count, le32 lang_count; per language: le16 code + str_count
    # NUL-terminated strings (index 1..str_count in descriptors).
    body = struct.pack("<H", 0x0409) + b"Body camera vendor interface\0"
    return struct.pack("<IIII", STRINGS_MAGIC, 16 + len(body), 1, 1) + body


# --- the log -----------------------------------------------------------------------------------
os.makedirs(STATE, exist_ok=True)
log_file = open(os.path.join(STATE, NAME + ".log"), "a", buffering=1)
log_lock = threading.Lock()


def log(direction, text):
    now = time.time()
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with log_lock:
        log_file.write(f"{stamp} {now:.3f} {direction} {text}\n")


# --- ep0: descriptors, then events -----------------------------------------------------------------
EVENTS = ["BIND", "UNBIND", "ENABLE", "DISABLE", "SETUP", "SUSPEND", "RESUME"]
EVENT_SIZE = 12   # struct usb_functionfs_event: 8-byte usb_ctrlrequest, u8 type, 3 pad bytes


def serve_ep0(ep0):
    """Logs the function's events; stalls any control request sent to our interface (none is
    expected: claiming an interface sends nothing). Ends when ep0 fails (closed at exit)."""
    while True:
        try:
            data = os.read(ep0, EVENT_SIZE * 4)
        except OSError:
            return
        for i in range(0, len(data) - EVENT_SIZE + 1, EVENT_SIZE):
            request_type, request, value, index, length, kind = struct.unpack_from("<BBHHHB", data, i)
            name = EVENTS[kind] if kind < len(EVENTS) else str(kind)
            if name != "SETUP":
                log("#", f"ep0 event {name}")
                continue
            log("#", f"ep0 SETUP type=0x{request_type:02x} request=0x{request:02x} "
                     f"value=0x{value:04x} index={index} length={length}: stalled")
            try:   # a read on an IN request, a write on an OUT one, is FunctionFS's stall
                os.read(ep0, 0) if request_type & 0x80 else os.write(ep0, b"")
            except OSError:
                pass


# --- the protocol ------------------------------------------------------------------------------
FRAME = re.compile(rb"@([A-Za-z0-9]{1,8});([0-9]{1,3});([^;@#]*);#")


class Camera:
    def __init__(self):
        self.date = None     # "yyyyMMdd" from @Sdt
        self.clock = None    # "YYYY-MM-DD HH:MM:SS" once @Stm followed

    def answer(self, cmd, length, payload):
        """The reply payload for one request, and whether it was @ATH accepted."""
        if int(length) != len(payload):
            return "ER", False
        if cmd == "Ver":
            return "OK", False
        if cmd == "Gdv":
            return DEVICE_ID, False
        if cmd == "Sdt" and re.fullmatch(r"\d{8}", payload):
            try:
                datetime.datetime.strptime(payload, "%Y%m%d")
            except ValueError:
                return "ER", False
            self.date = payload
            return "OK", False
        if cmd == "Stm" and re.fullmatch(r"\d{6}00", payload) and self.date:
            try:
                t = datetime.datetime.strptime(self.date + payload[:6], "%Y%m%d%H%M%S")
            except ValueError:
                return "ER", False
            self.clock = t.strftime("%Y-%m-%d %H:%M:%S")
            with open(os.path.join(STATE, NAME + ".clock"), "w") as f:
                f.write(f"{self.clock}\nset_at_unix={time.time():.3f}\n")
            return "OK", False
        if cmd == "ATH":
            return "OK", True
        return "ER", False


def serve(ep_out, ep_in):
    """Answers requests until @ATH has been answered; returns the Camera (its clock)."""
    camera, pending = Camera(), b""
    while True:
        try:
            chunk = os.read(ep_out, 512)   # a whole transfer; blocks until the host configures us
        except OSError as e:
            # ESHUTDOWN/EINTR: the host reset or disconnected us; wait for it to come back.
            log("#", f"ep1 read: {e.strerror}")
            time.sleep(0.2)
            continue
        pending += chunk
        while True:
            start = pending.find(b"@")
            if start < 0:
                pending = b""
                break
            m = FRAME.match(pending, start)
            if not m:
                if b"#" in pending[start:] or len(pending) - start > 256:
                    log(">", f"unparsed {pending!r}")
                    pending = b""
                break
            pending = pending[m.end():]
            log(">", m.group(0).decode("ascii"))
            cmd, length, payload = (g.decode("ascii") for g in m.groups())
            reply, storage = camera.answer(cmd, length, payload)
            out = f"@{cmd};{len(reply)};{reply};#"
            os.write(ep_in, out.encode("ascii"))   # returns once the host has read it
            log("<", out)
            if storage:
                return camera


def write(path, value):
    with open(path, "w") as f:
        f.write(value + "\n")


def storage_mode():
    """Re-enumerates as the camera's card on the same UDC (= the same dock port)."""
    udc = open(os.path.join(GADGET, "UDC")).read().strip()
    write(os.path.join(GADGET, "UDC"), "")                     # the host sees a disconnect
    config = os.path.join(GADGET, "configs/c.1")
    for entry in os.listdir(config):
        if entry.startswith("ffs."):
            os.unlink(os.path.join(config, entry))
    os.symlink(os.path.join(GADGET, "functions/mass_storage.0"), os.path.join(config, "mass_storage.0"))
    write(os.path.join(config, "strings/0x409/configuration"), "mass storage")
    write(os.path.join(GADGET, "UDC"), udc)
    log("#", f"re-enumerated as mass storage on {udc}")


def main():
    ep0 = os.open(os.path.join(FFS, "ep0"), os.O_RDWR)
    os.write(ep0, descriptors())
    os.write(ep0, strings())          # ep1/ep2 appear now; gadget.sh binds
    log("#", f"descriptors written; device id {DEVICE_ID}")
    threading.Thread(target=serve_ep0, args=(ep0,), daemon=True).start()
    ep_out = os.open(os.path.join(FFS, "ep1"), os.O_RDONLY)
    ep_in = os.open(os.path.join(FFS, "ep2"), os.O_WRONLY)
    camera = serve(ep_out, ep_in)
    time.sleep(0.2)                   # a camera takes a moment; lets the host release the interface
    os.close(ep_out)
    os.close(ep_in)
    storage_mode()
    log("#", f"clock set to {camera.clock}; exiting")
    # ep0 closes at exit: the ffs function is unbound by then, so this does not touch the gadget.


if __name__ == "__main__":
    main()
