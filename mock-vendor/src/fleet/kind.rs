//! The canonical device kinds, with the models and network a generated device of each gets.

/// Canonical device kinds (`contract::DEVICE_TYPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Camera,
    Nvr,
    AccessPanel,
    Door,
    Reader,
    IntrusionPanel,
    Sensor,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Self::Camera, Self::Nvr, Self::AccessPanel, Self::Door, Self::Reader, Self::IntrusionPanel, Self::Sensor];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Camera => "camera",
            Self::Nvr => "nvr",
            Self::AccessPanel => "access_panel",
            Self::Door => "door",
            Self::Reader => "reader",
            Self::IntrusionPanel => "intrusion_panel",
            Self::Sensor => "sensor",
        }
    }

    /// Whether devices of this kind publish events. Sensors report through their panel only,
    /// so their status is known from inventory alone (partial coverage, EVT-1 / FB-4).
    pub fn publishes_events(self) -> bool {
        self != Self::Sensor
    }

    pub(super) fn models(self) -> &'static [(&'static str, [u8; 3])] {
        match self {
            Self::Camera => &[
                ("Axis P3265-LVE", [0x00, 0x40, 0x8c]),
                ("Hanwha XNV-8080R", [0x00, 0x16, 0x6c]),
                ("Bosch FLEXIDOME 5100i", [0x00, 0x07, 0x5f]),
            ],
            Self::Nvr => &[("Milestone Husky IVO 350T", [0x00, 0x1b, 0x21])],
            Self::AccessPanel => &[("Mercury LP1502", [0x00, 0x0f, 0xe5]), ("Mercury MP4502", [0x00, 0x0f, 0xe5])],
            Self::Door => &[("HID Edge Door", [0, 0, 0])],
            Self::Reader => &[("HID Signo 40", [0x00, 0x06, 0x8e])],
            Self::IntrusionPanel => &[("DMP XR550", [0x00, 0x0d, 0x6f])],
            Self::Sensor => &[("Bosch Blue Line Gen2 PIR", [0, 0, 0])],
        }
    }

    pub(super) fn has_network(self) -> bool {
        !matches!(self, Self::Door | Self::Sensor)
    }
}
