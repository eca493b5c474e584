"""The pupil side of surveys: the pages a pupil sees, at the short address /go/."""
